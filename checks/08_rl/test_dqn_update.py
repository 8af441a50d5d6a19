"""Check: one DQN update: gather Q(s, a), max over next actions from the target net.

The tests go from the inside out, so the first failure names the first wrong
line: Q(s, a) and the MSE (gamma = 0, nothing else matters), the done mask, the
target network, the max over actions, whole steps, a batch of one, the target
network left alone, the caller's batch left alone, and the float returned.
"""

import copy
import warnings

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot, expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.losses import loss_habit

OBS = 4
CONCEPT = (
    "DQN: q_taken = online(obs).gather(1, actions.unsqueeze(1)).squeeze(1); under "
    "torch.no_grad(), next_q = target(next_obs).max(dim=1).values (dim 1 = the actions; "
    "the TARGET network); y = r + gamma * (1 - done) * next_q; loss = MSE(q_taken, y); "
    "zero_grad, backward, step."
)


def _net(seed, n_actions):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(OBS, 16), nn.ReLU(), nn.Linear(16, n_actions))


def _batch(seed, size, n_actions):
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(size, OBS, generator=g)
    actions = torch.randint(n_actions, (size,), generator=g)
    rewards = torch.randn(size, generator=g)
    next_obs = torch.randn(size, OBS, generator=g)
    dones = (torch.arange(size) % 3 == 1).float()
    return obs, actions, rewards, next_obs, dones


def _reference_step(online, target, optimizer, batch, gamma):
    obs, actions, rewards, next_obs, dones = batch
    q_taken = online(obs)[torch.arange(len(actions)), actions]
    with torch.no_grad():
        y = rewards + gamma * (1 - dones) * target(next_obs).amax(dim=1)
    loss = ((q_taken - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _call(exercise, online, target, optimizer, batch, gamma):
    """Run the learner's update on copies of the batch: a side effect on the caller's tensors
    is its own test (test_batch_left_as_it_was), not a wrong value here."""
    batch = tuple(t.clone() for t in batch)
    try:
        return exercise.dqn_update(online, target, optimizer, batch, gamma)
    except RuntimeError as error:
        if "must match the size" not in str(error):
            raise
        size, n_actions = batch[0].shape[0], target(batch[3]).shape[1]
        fail(f"dqn_update stopped with a shape error: {error}.\nWith a batch of {size} states "
             f"and {n_actions} actions, q_taken, rewards, dones and next_q must all be "
             f"({size},). next_q takes the max over dim 1, each state's actions; max over "
             "dim 0 gives one value per action instead.\n" + CONCEPT)


def _as_number(loss):
    """The loss as a float for the value tests; whether it IS a float is tested on its own."""
    if isinstance(loss, torch.Tensor):
        expect(loss.numel() == 1, "dqn_update should return the loss, one number, but it "
               f"returned a tensor of shape {tuple(loss.shape)}.\n" + CONCEPT)
        return loss.item()
    expect(isinstance(loss, (int, float)) and not isinstance(loss, bool),
           f"dqn_update should return the loss as a float, but it returned {loss!r}.")
    return float(loss)


def _q_taken(online, obs, actions):
    with torch.no_grad():
        return online(obs)[torch.arange(len(actions)), actions]


def _compare(exercise, size, n_actions, steps, what):
    online, target = _net(0, n_actions), _net(1, n_actions)  # different weights on purpose
    target_before = copy.deepcopy(target)
    ref_online = copy.deepcopy(online)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.1)
    ref_optimizer = torch.optim.SGD(ref_online.parameters(), lr=0.1)
    for step in range(steps):
        batch = _batch(10 + step, size, n_actions)
        want = _reference_step(ref_online, target_before, ref_optimizer, batch, 0.9)
        loss = _as_number(_call(exercise, online, target, optimizer, batch, 0.9))
        expect_close(loss, want, name=f"the loss at step {step + 1} ({what})", atol=1e-5,
                     concept=CONCEPT)
        for (name, p), q in zip(online.named_parameters(), ref_online.parameters(), strict=True):
            expect_tensor(p, name=f"the online network's {name} after step {step + 1} ({what})",
                          values=q, atol=1e-5, concept=CONCEPT)
    return online, target, target_before


def test_loss_is_mse_of_q_taken(exercise):
    """With gamma = 0 the target is r: the loss is the plain MSE of Q(s, a), picked with gather."""
    n_actions = 3
    online, target = _net(0, n_actions), _net(1, n_actions)
    obs, actions, rewards, next_obs, dones = batch = _batch(7, 8, n_actions)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.0)  # look at the loss only
    loss = _as_number(_call(exercise, online, target, optimizer, batch, 0.0))
    q_taken = _q_taken(online, obs, actions)
    want = ((q_taken - rewards) ** 2).mean().item()
    if abs(loss - want) > 1e-4:
        with torch.no_grad():
            best = online(obs).amax(dim=1)
        story = loss_habit(loss, q_taken, rewards, atol=1e-4)
        if not story and abs(loss - ((best - rewards) ** 2).mean().item()) < 1e-4:
            story = ("That is the loss of max_a Q(s, a), the best action's value; the update "
                     "needs the value of the action actually taken: "
                     "q_values.gather(1, actions.unsqueeze(1)).squeeze(1).")
        fail(f"With gamma = 0 the target is just the reward, so the loss should be "
             f"mean((Q(s, a) - r)^2) = {want:.4f}, but it is {loss:.4f}. "
             + (story or "Look at q_taken: row i must hold q_values[i, actions[i]], shape (B,).")
             + "\n" + CONCEPT, kind="value", expected=want, actual=loss)


def test_done_masks_the_bootstrap(exercise):
    """Transitions that ended an episode are pulled toward r alone."""
    n_actions = 2
    online, target = _net(0, n_actions), _net(1, n_actions)
    with torch.no_grad():
        target[-1].bias.fill_(500.0)  # huge next values: any leak at done shows at once
    obs, actions, rewards, next_obs, _ = _batch(3, 6, n_actions)
    dones = torch.ones(6)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.0)  # look at the loss only
    loss = _as_number(_call(exercise, online, target, optimizer,
                            (obs, actions, rewards, next_obs, dones), 0.99))
    q_taken = _q_taken(online, obs, actions)
    expect_close(loss, ((q_taken - rewards) ** 2).mean().item(),
                 name="the loss when every transition ended its episode", atol=1e-4,
                 concept="With done = 1 the target is y = r: multiply the bootstrap term by "
                 "(1 - done). Here dones[t] = 1 marks the LAST step of an episode (not, as "
                 "CleanRL's next_done, the first step of the next one). " + CONCEPT)


def test_target_comes_from_the_target_network(exercise):
    """next_q is read off the target network, not the online one."""
    n_actions = 3
    online, target = _net(0, n_actions), _net(1, n_actions)
    with torch.no_grad():
        target[-1].bias.add_(5.0)  # the two networks now disagree by a lot
    obs, actions, rewards, next_obs, dones = batch = _batch(4, 8, n_actions)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.0)  # look at the loss only
    loss = _as_number(_call(exercise, online, target, optimizer, batch, 0.9))
    q_taken = _q_taken(online, obs, actions)
    with torch.no_grad():

        def loss_with(net, pick=lambda q: q.amax(dim=1)):
            y = rewards + 0.9 * (1 - dones) * pick(net(next_obs))
            return ((q_taken - y) ** 2).mean().item()

        right, from_online = loss_with(target), loss_with(online)
        if abs(loss - right) < 1e-4:
            return
        best = "The TD target bootstraps from the BEST next action's value: "
        habits = (
            (lambda q: q.amin(dim=1), "next_q as the min of the target network's next-state values. "
             + best + "next_q = target(next_obs).max(dim=1).values."),
            (lambda q: q.mean(dim=1), "next_q as the mean of the target network's next-state values. "
             + best + "next_q = target(next_obs).max(dim=1).values."),
            (lambda q: q.argmax(dim=1).float(),
             "next_q as the INDEX of the best next action (argmax, or max(1)[1] / .indices), not its "
             "value. max(dim=1) returns (values, indices): take .values, or max(1)[0]."),
            (lambda q: q.amax().expand(len(q)),
             "next_q as ONE max over the whole (B, n_actions) tensor, shared by every transition. "
             ".max() with no dim is a global max; each state needs its own best next action: "
             "target(next_obs).max(dim=1).values, shape (B,)."),
        )
        for pick, story in habits:
            expect(abs(loss - loss_with(target, pick)) > 1e-4,
                   f"The loss is {loss:.4f}: exactly what it is with {story}\n" + CONCEPT)
    expect(abs(loss - from_online) > 1e-4,
           f"The loss is {loss:.4f}: exactly what it is with next_q from the ONLINE network. "
           "The target network exists so that the target stays still while the online network "
           "learns: next_q = target(next_obs).max(dim=1).values.\n" + CONCEPT)
    fail(f"The loss is {loss:.4f}; with next_q = target(next_obs).max(dim=1).values it would be "
         f"{right:.4f}. It is not the loss of next_q from the online network either, nor of a min, "
         "mean, argmax or global max: look at how next_q and y = r + gamma * (1 - done) * next_q "
         "are built.\n" + CONCEPT, kind="value", expected=right, actual=loss)


def test_max_over_actions_not_batch(exercise):
    """Batch of 4 and 4 actions, where max over the wrong dim still has the right shape."""
    _compare(exercise, size=4, n_actions=4, steps=1, what="batch 4, 4 actions: max(dim=1), "
             "over each state's actions, not max(dim=0) over the batch")


def test_one_step_matches_reference(exercise):
    """Batch of 8, 3 actions, three steps: losses and updated weights match a reference."""
    _compare(exercise, size=8, n_actions=3, steps=3, what="batch 8, 3 actions")


def test_batch_of_one(exercise):
    """A batch of one transition: Q(s, a) stays (1,) and lines up with the (1,) target."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _compare(exercise, size=1, n_actions=3, steps=2, what="a batch of one")
    for warning in caught:
        if "target size" in str(warning.message):
            fail("With a batch of one, F.mse_loss warned: "
                 f"{str(warning.message).splitlines()[0]} q_taken lost its batch dimension: "
                 ".squeeze() without a dim removes EVERY size-1 dim, so (1, 1) becomes a 0-d "
                 "tensor instead of (1,). Say which one: .squeeze(1).\n" + CONCEPT)


def test_target_network_untouched(exercise):
    """The target network gives the target values, and gets neither gradients nor updates."""
    _, target, target_before = _compare(exercise, size=8, n_actions=3, steps=2,
                                        what="two steps in a row")
    leaked = [name for name, p in target.named_parameters() if p.grad is not None]
    expect(not leaked,
           f"The update put gradients into the target network's {', '.join(leaked)}: compute "
           "next_q under torch.no_grad(). (The target network here still has requires_grad "
           "on, as in CleanRL and SB3: no_grad is what keeps it out of the graph.)\n" + CONCEPT)
    for (name, p), q in zip(target.named_parameters(), target_before.parameters(), strict=True):
        expect_tensor(p, name=f"the target network's {name} after the updates", values=q,
                      concept="dqn_update trains the online network only.")


def test_batch_left_as_it_was(exercise):
    """The caller's batch tensors are unchanged, so the same batch can be used twice."""
    n_actions = 3
    online, target = _net(0, n_actions), _net(1, n_actions)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.1)
    batch = _batch(21, 8, n_actions)
    names = ("obs", "actions", "rewards", "next_obs", "dones")
    for _ in range(2):  # a replay buffer may hand out the same tensors again
        inputs = InputSnapshot(**dict(zip(names, batch, strict=True)))
        exercise.dqn_update(online, target, optimizer, batch, 0.9)
        inputs.expect_untouched(function="dqn_update", concept=CONCEPT)


def test_returns_a_float(exercise):
    """dqn_update returns the loss as a Python float, as its docstring says."""
    online, target = _net(0, 3), _net(1, 3)
    optimizer = torch.optim.SGD(online.parameters(), lr=0.1)
    loss = _call(exercise, online, target, optimizer, _batch(5, 8, 3), 0.9)
    expect_py_float(loss, name="the value dqn_update returns",
                    concept="return loss.item(): a number to log, with no graph attached.")


def _one_step(update):
    """The update as a function of its inputs alone: a fresh SGD optimizer on the online
    network, and what the step leaves behind: the loss, the online and target parameters."""
    def call(online, target, obs, actions, rewards, next_obs, dones, gamma):
        optimizer = torch.optim.SGD(online.parameters(), lr=0.1)
        loss = update(online, target, optimizer, (obs, actions, rewards, next_obs, dones), gamma)
        return loss, [p.detach() for p in online.parameters()], [
            p.detach() for p in target.parameters()]
    return call


def test_contract(exercise):
    """dqn_update keeps its promise for a batch of one, one action or many, float64, gamma
    of 0 and 1, and episodes that all end or none: the loss and the online network after the
    step match the reference, the target network and the caller's batch stay as they were."""
    def inputs(draw):
        size, n_actions, dtype = draw["batch"], draw["actions"], draw["dtype"]
        online, target = _net(draw.seed(), n_actions), _net(draw.seed() + 1, n_actions)
        dones = (draw.rand(size) < draw["done_rate"]).to(dtype)
        return Args(online.to(dtype), target.to(dtype), draw.randn(size, OBS),
                    draw.randint(n_actions, size), draw.randn(size, scale=3.0),
                    draw.randn(size, OBS), dones, draw["gamma"])

    check_contract(Contract(
        function="dqn_update", call=_one_step(exercise.dqn_update),
        reference=_one_step(_reference_step), inputs=inputs, gradients=False,
        axes={"batch": [1, 9], "actions": [1, 2, 7], "dtype": [torch.float32, torch.float64],
              "gamma": [0.0, 0.99, 1.0], "done_rate": [0.0, 0.5, 1.0]},
        atol=1e-5, rtol=1e-4, concept=CONCEPT))

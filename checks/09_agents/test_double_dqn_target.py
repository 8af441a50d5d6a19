"""Check: the Double DQN target: online argmax, target value, (1 - done), no grad."""

import copy

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

OBS = 3
CONCEPT = (
    "Double DQN: under torch.no_grad(), a* = online(next_obs).argmax(dim=1, keepdim=True); "
    "next_q = target(next_obs).gather(1, a*).squeeze(1); y = r + gamma * (1 - done) * next_q."
)
VALUES_AS_INDICES = (
    "the online network's max VALUES turned into action indices: .max(1)[0] (.values) is "
    "how good the best action is, .max(1)[1] (.indices, or argmax) is which action it is"
)


def _net(seed, n_actions, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(OBS, 16), nn.Tanh(), nn.Linear(16, n_actions)).to(dtype)


def _batch(seed, size, dtype=torch.float32, done_every=3):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(size, generator=g, dtype=dtype)
    next_obs = 2 * torch.randn(size, OBS, generator=g, dtype=dtype)
    dones = (torch.arange(size) % done_every == 1).to(dtype)
    return rewards, next_obs, dones


def _reference(online, target, rewards, next_obs, dones, gamma):
    with torch.no_grad():
        q_online, q_target = online(next_obs), target(next_obs)
        rows = torch.arange(len(rewards))
        pick = lambda q, a: q[rows, a]  # noqa: E731
        mask = gamma * (1 - dones)
        candidates = {
            "right": rewards + mask * pick(q_target, q_online.argmax(1)),
            "plain DQN (argmax and value both from the TARGET network)":
                rewards + mask * q_target.amax(1),
            "argmax and value both from the ONLINE network": rewards + mask * q_online.amax(1),
            "argmax from the TARGET network, value from the ONLINE one (the roles swapped)":
                rewards + mask * pick(q_online, q_target.argmax(1)),
        }
        as_index = q_online.amax(1).long()  # the max VALUES, truncated, used as actions
        if bool(((as_index >= 0) & (as_index < q_online.shape[1])).all()):
            candidates[VALUES_AS_INDICES] = rewards + mask * pick(q_target, as_index)
        return candidates


def _bad_index_causes(online, next_obs):
    """The mistakes that can make an action index out of range, for these inputs."""
    with torch.no_grad():
        q = online(next_obs)
    n_states, n_actions = q.shape
    causes = []
    if n_states > n_actions:
        causes.append(f"argmax over dim 0 picks one of the {n_states} states, not one of the "
                      f"{n_actions} actions: argmax over dim 1.")
    as_index = q.amax(1).long()
    if not bool(((as_index >= 0) & (as_index < n_actions)).all()):
        causes.append(VALUES_AS_INDICES[0].upper() + VALUES_AS_INDICES[1:] + ".")
    return "Likely: " + " Or: ".join(causes) if causes else ""


def _call(exercise, online, target, batch, gamma):
    rewards, next_obs, dones = batch
    try:
        return exercise.double_dqn_target(online, target, rewards, next_obs, dones, gamma)
    except (IndexError, RuntimeError) as error:
        if "out of bounds" in str(error):
            expect(False, f"double_dqn_target stopped with: {str(error).splitlines()[0]}\n"
                   "An action index was outside 0 .. n_actions - 1. "
                   + _bad_index_causes(online, next_obs) + "\n" + CONCEPT)
        if "shape" not in str(error) and "size" not in str(error):
            raise
        n_actions = online(next_obs[:1]).shape[1]
        expect(False, f"double_dqn_target stopped with a shape error: "
               f"{str(error).splitlines()[0]}\nWith {len(rewards)} states and {n_actions} "
               "actions, the online argmax must give one action per state: argmax over dim 1 "
               "(the actions), not dim 0 (the batch).\n" + CONCEPT)


def _spy_grad_mode(*nets):
    """Record, at every forward, whether autograd was recording."""
    seen = []
    for net in nets:
        net.register_forward_pre_hook(lambda m, args: seen.append(torch.is_grad_enabled()))
    return seen


def test_one_target_per_transition(exercise):
    """6 transitions, 4 actions: the targets are a (6,) float32 tensor."""
    online, target = _net(0, 4), _net(1, 4)
    y = _call(exercise, online, target, _batch(0, 6), 0.9)
    expect_tensor(y, name="the Double DQN targets", shape=(6,), dtype=torch.float32,
                  concept="One target per transition: argmax over dim 1 (each state's "
                  "actions), gather along dim 1, squeeze(1). " + CONCEPT)


def test_computed_without_grad(exercise):
    """Both networks run under torch.no_grad(); the targets carry no graph."""
    online, target = _net(0, 4), _net(1, 4)
    seen = _spy_grad_mode(online, target)
    y = _call(exercise, online, target, _batch(1, 6), 0.9)
    expect(seen and not any(seen),
           "A network ran while autograd was recording (torch.is_grad_enabled() was True at "
           "its forward). The target is a constant for the loss: run both networks inside "
           "`with torch.no_grad():` so no graph is built at all; .detach() afterwards still "
           "builds one through both networks first.\n" + CONCEPT)
    expect_tensor(y, name="the Double DQN targets", requires_grad=False, grad_fn=False,
                  concept=CONCEPT)
    expect(not y.is_inference(),
           "The targets are inference tensors (made under torch.inference_mode()): the loss "
           "that uses them would fail in backward ('Inference tensors cannot be saved for "
           "backward'). Use torch.no_grad(), or .clone() the result outside inference mode.\n"
           + CONCEPT)


def test_termination_stops_the_bootstrap(exercise):
    """Where done = 1 the target is r alone, however large the next values are."""
    online, target = _net(6, 3), _net(7, 3)
    with torch.no_grad():
        target[-1].bias.fill_(1000.0)
    rewards, next_obs, _ = _batch(6, 5)
    dones = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    y = _call(exercise, online, target, (rewards, next_obs, dones), 0.99)
    expect_tensor(y, name="the targets", shape=(5,), concept=CONCEPT)
    ended = dones.bool()
    expect_tensor(y[ended], name="the targets of the transitions with dones = 1",
                  values=rewards[ended], atol=1e-4,
                  concept="dones[i] = 1 marks the last step of an episode that terminated: "
                  "nothing follows, so y = r. Multiply the bootstrap by (1 - done). " + CONCEPT)


def test_online_chooses_target_judges(exercise):
    """The action comes from the ONLINE network's argmax, its value from the TARGET network."""
    online, target = _net(2, 5), _net(3, 5)
    batch = _batch(2, 12)
    candidates = _reference(online, target, *batch, 0.9)
    right = candidates.pop("right")
    y = _call(exercise, online, target, batch, 0.9)
    expect_tensor(y, name="the Double DQN targets", shape=(12,), concept=CONCEPT)
    for story, wrong in candidates.items():
        expect(not (torch.allclose(y, wrong, atol=1e-5) and not torch.allclose(y, right)),
               f"These are the targets of {story}. Double DQN lets the online network CHOOSE "
               "the next action and the target network JUDGE it, so an action that one "
               "network overrates is not also scored by that network.\n" + CONCEPT)
    expect_tensor(y, name="the Double DQN targets", values=right, atol=1e-5, concept=CONCEPT)


def test_argmax_over_actions_not_batch(exercise):
    """4 states and 4 actions, where an argmax over the wrong dim keeps the right shape."""
    online, target = _net(4, 4), _net(5, 4)
    batch = _batch(4, 4)
    y = _call(exercise, online, target, batch, 0.99)
    expect_tensor(y, name="the Double DQN targets for 4 states and 4 actions", shape=(4,),
                  values=_reference(online, target, *batch, 0.99)["right"], atol=1e-5,
                  concept="argmax(dim=1) picks each state's best action; argmax(dim=0) picks "
                  "the best state for each action, which has the same shape here. " + CONCEPT)


def test_batch_of_one_and_float64(exercise):
    """B = 1 gives shape (1,); float64 networks give float64 targets."""
    for size, dtype in ((1, torch.float32), (1, torch.float64), (7, torch.float64)):
        online, target = _net(8, 4, dtype), _net(9, 4, dtype)
        batch = _batch(8 + size, size, dtype, done_every=4)
        y = _call(exercise, online, target, batch, 0.9)
        expect_tensor(y, name=f"the targets for a batch of {size} in {dtype}", shape=(size,),
                      dtype=dtype, values=_reference(online, target, *batch, 0.9)["right"],
                      atol=1e-6, concept="squeeze(1), not squeeze(): a batch of one stays (1,). "
                      "Keep the networks' dtype. " + CONCEPT)


def test_inputs_and_networks_unchanged(exercise):
    """Two calls give the same targets and leave the networks and the batch as they were."""
    online, target = _net(10, 4), _net(11, 4)
    online_before, target_before = copy.deepcopy(online), copy.deepcopy(target)
    batch = _batch(10, 6)
    saved = [t.clone() for t in batch]
    first = _call(exercise, online, target, batch, 0.9)
    second = _call(exercise, online, target, batch, 0.9)
    expect_tensor(second, name="the targets on a second call", values=first, concept=CONCEPT)
    for name, now, then in zip(("rewards", "next_obs", "dones"), batch, saved, strict=True):
        expect_tensor(now, name=f"the caller's {name}", values=then,
                      concept="Only read the batch; never change it in place.")
    for label, net, before in (("online", online, online_before),
                               ("target", target, target_before)):
        for (name, p), q in zip(net.named_parameters(), before.parameters(), strict=True):
            expect(p.grad is None, f"The {label} network's {name} got a .grad.\n" + CONCEPT)
            expect_tensor(p, name=f"the {label} network's {name}", values=q,
                          concept="Computing a target never changes a network.")
        expect(net.training == before.training,
               f"The {label} network's train/eval mode was switched; leave it as it came.")


def test_contract(exercise):
    """The targets keep their promise for a batch of one, more actions, float64, gamma 0 and 1,
    terminal rewards of 0; no graph, and no gradient into either network."""
    def inputs(draw):
        online = _net(draw.seed(), draw["actions"], draw["dtype"])
        target = _net(draw.seed(), draw["actions"], draw["dtype"])
        batch = draw["batch"]
        # Rewards and dones may come in the other float dtype (float64 from NumPy, say): the
        # docstring promises PyTorch's promotion, the wider, not a cast to either side. Not
        # for a batch of one: there a next_q squeezed to 0-d (squeeze() with no dim, right
        # in every other respect) would drop out of promotion, a quirk this lesson is not about.
        mixed = draw["rewards_dtype"] == "the other" and batch > 1
        data = (torch.float32 if draw["dtype"] == torch.float64 else torch.float64) if mixed \
            else draw["dtype"]
        dones = (draw.rand(batch) < 0.4).to(data)
        rewards = draw.randn(batch, dtype=data) * (1 - dones)
        return Args(online, target, rewards, draw.randn(batch, OBS, scale=2.0), dones,
                    draw["gamma"])

    check_contract(Contract(
        function="double_dqn_target", call=exercise.double_dqn_target,
        reference=lambda *args: _reference(*args)["right"],
        inputs=inputs,
        axes={"batch": [1, 7], "actions": [2, 5], "dtype": [torch.float32, torch.float64],
              "gamma": [0.0, 0.99, 1.0], "rewards_dtype": ["the networks'", "the other"]},
        budget=8, concept=CONCEPT))

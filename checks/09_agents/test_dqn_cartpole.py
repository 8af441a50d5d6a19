"""Check: the DQN pieces, then a DQN agent that learns CartPole-v1.

The piece tests come first and run in milliseconds, so a wrong piece fails
with a precise message before any training. The training test asks each
piece again before it trains (a wrong piece would only burn the step budget).

Bar, budget and seed, measured with bench/capstones.py on this 2-core machine.
DQN takes one gradient step per environment step, so it costs far more than
PPO, and it is less steady: with these hyperparameters only 3 of seeds 0-5
reached a 20-episode mean of 195 within 12,000 steps (the others peaked at
160-182 and fell back). A mean of 150 is reached steadily: on all of seeds
0-13, after 3,800-4,300 steps (6-12 s of CPU each under heavy load). So the
bar here is 150, not 195, the budget 10,000 steps (over twice the worst), and
the check trains one seed, 0: three would cost about 25 s of CPU.
"""

import copy
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.gym import expect_learns, piece, require_pieces
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

SEEDS = (0,)
BUDGET = 10_000
BAR = 150.0

CONCEPT = (
    "DQN: targets = r + gamma * (1 - terminated) * target(next_obs).max(dim=1).values, under "
    "torch.no_grad() and from the TARGET network; q_taken = online(obs).gather(1, "
    "actions.unsqueeze(1)).squeeze(1); loss = F.smooth_l1_loss(q_taken, targets)."
)
SYNC_CONCEPT = ("sync_target copies every online weight into the target network, which keeps "
                "tensors of its own: target.load_state_dict(online.state_dict()).")


def _nets(n_actions=3, obs_dim=4):
    torch.manual_seed(0)
    online = nn.Sequential(nn.Linear(obs_dim, 16), nn.ReLU(), nn.Linear(16, n_actions))
    target = nn.Sequential(nn.Linear(obs_dim, 16), nn.ReLU(), nn.Linear(16, n_actions))
    with torch.no_grad():
        target[-1].bias.add_(3.0)  # the two networks disagree by a lot
    return online, target


def _batch(size=8, n_actions=3, obs_dim=4):
    g = torch.Generator().manual_seed(7)
    obs = torch.randn(size, obs_dim, generator=g)
    actions = torch.randint(n_actions, (size,), generator=g)
    rewards = torch.randn(size, generator=g)
    next_obs = torch.randn(size, obs_dim, generator=g)
    terminated = (torch.arange(size) % 3 == 2).float()
    return obs, actions, rewards, next_obs, terminated


def _probe_targets(exercise):
    _, target = _nets()
    _, _, rewards, next_obs, terminated = _batch()
    got = exercise.td_targets(target, rewards, next_obs, terminated, 0.9)
    with torch.no_grad():
        best = target(next_obs).max(dim=1).values
    expect_tensor(got, name="the TD targets", shape=(8,), grad_fn=False, finite=True,
                  concept="The target is a constant the online network moves toward; a target "
                  "with grad lets the loss pull it (and the target network) too. " + CONCEPT)
    if torch.allclose(got, rewards + 0.9 * best, atol=1e-5):
        fail("The TD targets bootstrap past the end of an episode: where terminated = 1 there "
             "is no next state worth anything, so y = r. Multiply the bootstrap by "
             "(1 - terminated).\n" + CONCEPT)
    expect_tensor(got, name="the TD targets", values=rewards + 0.9 * (1 - terminated) * best,
                  atol=1e-5, concept=CONCEPT)


def _name_loss_mistake(got, q_taken, targets):
    """Fail naming the mistake when the loss matches a known wrong one."""
    with warnings.catch_warnings():  # the broadcast below is the mistake; its warning is noise
        warnings.simplefilter("ignore")
        broadcast = F.smooth_l1_loss(q_taken.unsqueeze(1), targets).item()
    if abs(got - broadcast) < 1e-5:
        fail(f"The loss compares q_taken of shape ({len(targets)}, 1) with targets of shape "
             f"({len(targets)},): they broadcast to ({len(targets)}, {len(targets)}), every "
             "Q-value against every target. gather(1, actions.unsqueeze(1)) keeps the "
             "gathered dim; .squeeze(1) it to (B,) before the loss.\n" + CONCEPT)
    if abs(got - F.mse_loss(q_taken, targets).item()) < 1e-5:
        fail("The loss is the mean squared error (F.mse_loss). DQN uses the Huber loss, "
             "F.smooth_l1_loss: quadratic near zero, linear past 1, so one large TD error "
             "cannot make a huge gradient and throw the Q-network off.\n" + CONCEPT)


def _probe_step(exercise):
    online, target = _nets()
    target_before = copy.deepcopy(target)
    reference = copy.deepcopy(online)
    batch = obs, actions, rewards, next_obs, terminated = _batch()
    optimizer = torch.optim.SGD(online.parameters(), lr=0.1)
    got = exercise.dqn_step(online, target, optimizer, batch, 0.9)
    expect(isinstance(got, (float, int)) or (isinstance(got, torch.Tensor) and got.numel() == 1),
           f"dqn_step should return the loss as a float, not {type(got).__name__}.")
    got = float(got)
    with torch.no_grad():
        q_taken = reference(obs)[torch.arange(8), actions]
        from_online = rewards + 0.9 * (1 - terminated) * reference(next_obs).amax(dim=1)
        from_target = rewards + 0.9 * (1 - terminated) * target_before(next_obs).amax(dim=1)
        online_loss = F.smooth_l1_loss(q_taken, from_online).item()
    if abs(got - online_loss) < 1e-5:
        fail("dqn_step takes its targets from the ONLINE network. The target network is there "
             "so the target stays still while the online network learns: pass `target` to "
             "td_targets.\n" + CONCEPT)
    with torch.no_grad():
        _name_loss_mistake(got, q_taken, from_target)
    want_loss = F.smooth_l1_loss(reference(obs)[torch.arange(8), actions], from_target)
    expect_close(got, want_loss.item(), name="the loss dqn_step returns", atol=1e-5,
                 concept=CONCEPT)
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    reference_optimizer.zero_grad()
    want_loss.backward()
    nn.utils.clip_grad_norm_(reference.parameters(), exercise.MAX_GRAD_NORM)
    reference_optimizer.step()
    for (name, p), q in zip(online.named_parameters(), reference.parameters(), strict=True):
        expect_tensor(p, name=f"the online network's {name} after one dqn_step", values=q,
                      atol=1e-5, concept=CONCEPT)
    leaked = [name for name, p in target.named_parameters() if p.grad is not None]
    expect(not leaked, f"dqn_step put gradients into the target network's {', '.join(leaked)}: "
           "the targets must be computed without grad.\n" + CONCEPT)
    for (name, p), q in zip(target.named_parameters(), target_before.parameters(), strict=True):
        expect_tensor(p, name=f"the target network's {name} after dqn_step", values=q,
                      concept="dqn_step trains the online network only.")


def _probe_sync(exercise):
    online, target = _nets()
    target_before = copy.deepcopy(target)
    exercise.sync_target(online, target)
    unchanged = all(torch.equal(p, q) for p, q in zip(target.parameters(),
                                                       target_before.parameters(), strict=True))
    expect(not unchanged,
           "sync_target left the target network as it was. Without syncs the targets come "
           "from the random network it started as, forever. Copy the online weights in: "
           "target.load_state_dict(online.state_dict()).")
    for (name, p), q in zip(online.named_parameters(), target.parameters(), strict=True):
        expect_tensor(q, name=f"the target network's {name} after sync_target", values=p,
                      concept="sync_target copies every online weight into the target "
                      "network: target.load_state_dict(online.state_dict()).")
    with torch.no_grad():
        for p in online.parameters():
            p.add_(1.0)  # the online network learns on ...
    for (name, p), q in zip(online.named_parameters(), target.parameters(), strict=True):
        expect(not torch.allclose(p, q),
               f"After sync_target, changing the online network's {name} changed the target's "
               "too: the two share their tensors, so the target is no target at all. Copy the "
               "numbers (load_state_dict without assign=True, or q.copy_(p) under no_grad).")


# The contracts: each piece's promise, tried beyond the probes above, on networks of other
# sizes, batches of one and of 64, float32 and float64, episodes ending nowhere or
# everywhere, and networks fresh or carrying the gradients of a last step.

TERMINATED = {
    "none": lambda i: 0.0,
    "some": lambda i: float(i % 3 == 2),
    "all": lambda i: 1.0,
}


def _q_net(obs_dim, n_actions, draw, used):
    with torch.random.fork_rng(devices=[]):  # building a layer draws from the global stream
        net = nn.Sequential(nn.Linear(obs_dim, 8), nn.ReLU(), nn.Linear(8, n_actions))
    net = net.to(draw["dtype"])
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.8))
    if used:  # what the last step left behind
        for p in net.parameters():
            p.grad = draw.randn(*p.shape)
    return net


def _transitions(draw):
    size, (obs_dim, n_actions) = draw["batch"], draw["dims"]
    terminated = torch.tensor([TERMINATED[draw["terminated"]](i) for i in range(size)],
                              dtype=draw["dtype"])
    return (draw.randn(size, obs_dim), draw.randint(n_actions, size),
            draw.randn(size, scale=draw.get("reward_scale", 1.0)), draw.randn(size, obs_dim),
            terminated)


def _reference_targets(target, rewards, next_obs, terminated, gamma, *, network_max=True):
    with torch.no_grad():
        best = target(next_obs).max(dim=1).values if network_max else target(next_obs).amax()
        return rewards + gamma * (1 - terminated) * best


def _contract_targets(exercise):
    def inputs(draw):
        obs_dim, n_actions = draw["dims"]
        _, _, rewards, next_obs, terminated = _transitions(draw)
        return Args(_q_net(obs_dim, n_actions, draw, draw["target"] == "used"), rewards,
                    next_obs, terminated, draw["gamma"])

    check_contract(Contract(
        function="td_targets", call=exercise.td_targets, reference=_reference_targets,
        inputs=inputs,
        axes={"batch": [1, 8, 64], "dtype": [torch.float32, torch.float64],
              "dims": [(4, 2), (1, 1), (3, 5)], "terminated": list(TERMINATED),
              "gamma": [0.99, 0.0, 1.0], "target": ["fresh", "used"]},
        atol=1e-5, rtol=1e-5, diagnose=_diagnose_targets, concept=CONCEPT))


def _diagnose_targets(case, got, want):
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        return
    where = f"With {case.label}: "
    if got.requires_grad:
        fail(where + "the TD targets are still attached to the graph: the target is a constant "
             "the online network moves toward; compute it under torch.no_grad().\n" + CONCEPT)
    target, rewards, next_obs, terminated, gamma = case.inputs.args
    unmasked = _reference_targets(target, rewards, next_obs, torch.zeros_like(terminated), gamma)
    got = got.detach()
    if not torch.allclose(unmasked, want) and torch.allclose(got, unmasked, atol=1e-5):
        fail(where + "the TD targets bootstrap past the end of an episode: where terminated = 1 "
             "there is no next state worth anything, so y = r. Multiply the bootstrap by "
             "(1 - terminated).\n" + CONCEPT)
    if case.axes["dims"][1] > 1 or case.axes["batch"] > 1:
        with torch.no_grad():
            q = target(next_obs)
        for story, best in (("the max over the batch (dim=0), not over the actions (dim=1)",
                             q.amax()), ("the mean over the actions, not their max",
                                         q.mean(dim=1))):
            wrong = rewards + gamma * (1 - terminated) * best
            if not torch.allclose(wrong, want) and torch.allclose(got, wrong, atol=1e-5):
                fail(where + f"the TD targets bootstrap from {story}: each next state's best "
                     "action, target(next_obs).max(dim=1).values.\n" + CONCEPT)


def _step_session(step):
    """One dqn_step with SGD, reduced to what it promises: the loss, the online network after
    the step, and the target network left exactly as it was (weights and .grad)."""
    def run(online, target, obs, actions, rewards, next_obs, terminated, gamma):
        before = [(p.detach().clone(), p.grad) for p in target.parameters()]
        optimizer = torch.optim.SGD(online.parameters(), lr=0.1)
        loss = step(online, target, optimizer, (obs, actions, rewards, next_obs, terminated),
                    gamma)
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            loss = loss.item()  # as the probe above, a one-number tensor is taken as its number
        return {"loss": loss,
                "online after the step": [p.detach().clone() for p in online.parameters()],
                "target moved by": [p.detach() - b[0] for p, b in
                                    zip(target.parameters(), before, strict=True)],
                "target .grad kept": [p.grad is b[1] or (p.grad is not None and b[1] is not None
                                                         and torch.equal(p.grad, b[1]))
                                      for p, b in zip(target.parameters(), before, strict=True)]}
    return run


def _reference_step(max_grad_norm, targets_from="target", loss=F.smooth_l1_loss):
    def step(online, target, optimizer, batch, gamma):
        obs, actions, rewards, next_obs, terminated = batch
        source = target if targets_from == "target" else online
        targets = _reference_targets(source, rewards, next_obs, terminated, gamma)
        value = loss(online(obs).gather(1, actions.unsqueeze(1)).squeeze(1), targets)
        optimizer.zero_grad()
        value.backward()
        nn.utils.clip_grad_norm_(online.parameters(), max_grad_norm)
        optimizer.step()
        return value.item()
    return step


def _contract_step(exercise):
    def inputs(draw):
        obs_dim, n_actions = draw["dims"]
        online = _q_net(obs_dim, n_actions, draw, draw["online"] == "used")
        target = _q_net(obs_dim, n_actions, draw, draw["online"] == "used")
        return Args(online, target, *_transitions(draw), 0.9)

    check_contract(Contract(
        function="dqn_step", call=_step_session(exercise.dqn_step),
        reference=_step_session(_reference_step(exercise.MAX_GRAD_NORM)), inputs=inputs,
        axes={"batch": [1, 8, 64], "dtype": [torch.float32, torch.float64],
              "dims": [(4, 2), (1, 1), (3, 5)], "terminated": list(TERMINATED),
              # small TD errors (Huber's quadratic part), large ones (its linear part, and
              # a gradient past MAX_GRAD_NORM)
              "reward_scale": [0.3, 20.0], "online": ["fresh", "used"]},
        atol=1e-5, rtol=1e-4, tolerance={torch.float64: (1e-9, 1e-7)}, gradients=False,
        diagnose=_diagnose_step(exercise), concept=CONCEPT))


def _diagnose_step(exercise):
    def diagnose(case, got, want):
        where = f"With {case.label}: "
        if not isinstance(got, dict):
            return
        if any(bool(d.abs().gt(0).any()) for d in got["target moved by"]) or not all(
                got["target .grad kept"]):
            fail(where + "dqn_step changed the target network (its weights or their .grad): "
                 "it trains the online network only, and the targets are computed without "
                 "grad.\n" + CONCEPT)
        loss = got["loss"]
        if not isinstance(loss, float):
            return
        for targets_from, loss_fn, story in (
                ("online", F.smooth_l1_loss, "its targets come from the ONLINE network. The "
                 "target network is there so the target stays still while the online network "
                 "learns: pass `target` to td_targets"),
                ("target", F.mse_loss, "the loss is the mean squared error (F.mse_loss). DQN "
                 "uses the Huber loss, F.smooth_l1_loss: one large TD error cannot make a huge "
                 "gradient")):
            wrong = _step_session(_reference_step(exercise.MAX_GRAD_NORM, targets_from, loss_fn))(
                *(copy.deepcopy(x) for x in case.inputs.args))["loss"]
            if abs(wrong - want["loss"]) > 1e-6 and abs(loss - wrong) < 1e-5 + 1e-4 * abs(wrong):
                fail(where + f"dqn_step's loss is {loss:.6g}, expected {want['loss']:.6g}: "
                     f"{story}.\n" + CONCEPT)
    return diagnose


def _sync_session(sync):
    """One sync, reduced to what it promises: the target's weights equal the online network's,
    and stay the target's own when the online network learns on."""
    def run(online, target):
        sync(online, target)
        after = [p.detach().clone() for p in target.parameters()]
        with torch.no_grad():
            for p in online.parameters():
                p.add_(1.0)  # the online network learns on ...
        return {"target after the sync": after,
                "target unmoved when online learns on": all(
                    torch.equal(p, q) for p, q in zip(target.parameters(), after, strict=True))}
    return run


def _contract_sync(exercise):
    def inputs(draw):
        obs_dim, n_actions = draw["dims"]
        online = _q_net(obs_dim, n_actions, draw, draw["online"] == "used")
        target = _q_net(obs_dim, n_actions, draw, False)
        if draw["target"] == "in eval mode":
            target.eval()
        return Args(online, target)

    check_contract(Contract(
        function="sync_target", call=_sync_session(exercise.sync_target),
        reference=_sync_session(lambda online, target: target.load_state_dict(
            online.state_dict())), inputs=inputs,
        axes={"dtype": [torch.float32, torch.float64], "dims": [(4, 2), (1, 1), (3, 5)],
              "online": ["fresh", "used"], "target": ["in train mode", "in eval mode"]},
        untouched=False, diagnose=_diagnose_sync, concept=SYNC_CONCEPT))


def _diagnose_sync(case, got, want):
    where = f"With {case.label}: "
    online, target = case.inputs.args
    if all(torch.equal(a, b) for a, b in zip(got["target after the sync"], target.parameters(),
                                                 strict=True)):
        fail(where + "sync_target left the target network as it was. Copy the online weights "
             "in: target.load_state_dict(online.state_dict()).\n" + SYNC_CONCEPT)
    if not got["target unmoved when online learns on"]:
        fail(where + "after sync_target, changing the online network changed the target's "
             "weights too: the two share their tensors. Copy the numbers (load_state_dict "
             "without assign=True, or q.copy_(p) under no_grad).\n" + SYNC_CONCEPT)


def test_td_targets(exercise):
    """td_targets is r + gamma * (1 - terminated) * max Q_target(s'), with no grad."""
    piece(exercise, _probe_targets)


def test_td_targets_contract(exercise):
    """td_targets keeps its promise for other network sizes, a batch of one and of 64, float32
    and float64, gamma at 0 and 1, episodes ending nowhere or everywhere."""
    piece(exercise, _contract_targets)


def test_dqn_step(exercise):
    """dqn_step trains the online network on Huber(Q(s, a), targets from the target net)."""
    piece(exercise, _probe_step)


def test_dqn_step_contract(exercise):
    """dqn_step keeps its promise for other network sizes, a batch of one and of 64, float32
    and float64, small and large TD errors, and a network with a last step's gradients."""
    piece(exercise, _contract_step)


def test_sync_target(exercise):
    """sync_target copies the weights and keeps the target network its own."""
    piece(exercise, _probe_sync)


def test_sync_target_contract(exercise):
    """sync_target keeps its promise for other sizes, float32 and float64, a target in eval
    mode."""
    piece(exercise, _contract_sync)


def _greedy(online, obs):
    """The action with the highest Q-value, with no exploration: what the agent learned."""
    return int(online(obs).argmax())


def test_agent_learns_cartpole(exercise):
    """The agent reaches a 20-episode mean of 150 on CartPole-v1 within 10,000 steps."""
    require_pieces(exercise, (_probe_targets, _contract_targets, _probe_step, _contract_step,
                              _probe_sync, _contract_sync))
    expect_learns(exercise.train, agent="DQN", seeds=SEEDS, max_steps=BUDGET, bar=BAR,
                  greedy=_greedy)

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
from torchlings.checkapi.testkit.gym import expect_learns, require_pieces

SEEDS = (0,)
BUDGET = 10_000
BAR = 150.0

CONCEPT = (
    "DQN: targets = r + gamma * (1 - terminated) * target(next_obs).max(dim=1).values, under "
    "torch.no_grad() and from the TARGET network; q_taken = online(obs).gather(1, "
    "actions.unsqueeze(1)).squeeze(1); loss = F.smooth_l1_loss(q_taken, targets)."
)


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


def test_td_targets(exercise):
    """td_targets is r + gamma * (1 - terminated) * max Q_target(s'), with no grad."""
    _probe_targets(exercise)


def test_dqn_step(exercise):
    """dqn_step trains the online network on Huber(Q(s, a), targets from the target net)."""
    _probe_step(exercise)


def test_sync_target(exercise):
    """sync_target copies the weights and keeps the target network its own."""
    _probe_sync(exercise)


def _greedy(online, obs):
    """The action with the highest Q-value, with no exploration: what the agent learned."""
    return int(online(obs).argmax())


def test_agent_learns_cartpole(exercise):
    """The agent reaches a 20-episode mean of 150 on CartPole-v1 within 10,000 steps."""
    require_pieces(exercise, (_probe_targets, _probe_step, _probe_sync))
    expect_learns(exercise.train, agent="DQN", seeds=SEEDS, max_steps=BUDGET, bar=BAR,
                  greedy=_greedy)

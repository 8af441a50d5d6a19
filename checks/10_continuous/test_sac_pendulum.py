"""Check: the SAC pieces, then a SAC agent that learns to swing up Pendulum-v1.

The piece tests come first and run in milliseconds, so a wrong piece fails
with a precise message before any training. The training test asks each
piece again before it trains (a wrong piece would only burn the step budget).

Bar, budget and seed, measured with bench/capstones.py on the 2-core machine
while other work loaded it heavily. Pendulum's episodes are 200 steps each, so
the window is 5 episodes (1,000 steps). The solution's 5-episode mean reached
-250 on all of seeds 0-11, after 4,200-5,600 steps (seed 0: 5,400), in 23-33 s
of CPU per seed under that load; random play scores -1,200 to -1,500 an
episode, and once the rod goes up the mean settles near -150. The budget,
10,000 steps, is 1.8 times the worst. The check trains one seed, 0: SAC makes
one update of three networks per step, and a second seed would double it.
"""

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.gym import expect_learns, record_greedy_episode, require_pieces

SEEDS = (0,)
BUDGET = 10_000
BAR = -250.0
WINDOW = 5

SQUASH = (
    "squash: u = Normal(mean, log_std.exp()).rsample(); a = torch.tanh(u); log_pi = "
    "(Normal(...).log_prob(u) - torch.log(1 - a.pow(2) + 1e-6) - torch.log(scale)).sum(-1); "
    "return a * scale + bias, log_pi."
)
TARGET = (
    "critic_targets, all under torch.no_grad(): a', log_pi = actor(next_obs); y = r + gamma * "
    "(1 - terminated) * (torch.min(q1_target(next_obs, a'), q2_target(next_obs, a')) - alpha * "
    "log_pi)."
)
ACTOR = (
    "actor_loss: actions, log_pi = actor(obs); q = torch.min(q1(obs, actions), q2(obs, "
    "actions)); return (alpha * log_pi - q).mean(), log_pi."
)
ALPHA = "alpha_loss: -(log_alpha * (log_pi + TARGET_ENTROPY).detach()).mean()."
POLYAK = (
    "soft_update, under torch.no_grad(): for each pair, target_p.mul_(1 - tau).add_(tau * "
    "online_p) (or target_p.lerp_(online_p, tau))."
)


def _gaussian(u, mean, log_std):
    return -0.5 * ((u - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)


def _probe_squash(exercise):
    g = torch.Generator().manual_seed(0)
    mean = (0.5 * torch.randn(6, 3, generator=g, dtype=torch.float64)).requires_grad_(True)
    log_std = (0.3 * torch.randn(6, 3, generator=g, dtype=torch.float64) - 0.5).requires_grad_(True)
    scale = torch.tensor([2.0, 0.5, 3.0], dtype=torch.float64)
    bias = torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64)
    torch.manual_seed(1)
    action, log_pi = exercise.squash(mean, log_std, scale, bias)
    expect_tensor(action, name="the action squash returns", shape=(6, 3), dtype=torch.float64,
                  grad_fn=True, concept="The actor loss differentiates through the action: "
                  "draw u with rsample(). " + SQUASH)
    a = (action.detach() - bias) / scale
    expect(bool((a.abs() < 1).all()),
           "Some actions lie outside [bias - scale, bias + scale]: act with tanh(u) * scale + "
           "bias.\n" + SQUASH)
    expect_tensor(log_pi, name="the log pi squash returns", shape=(6,), dtype=torch.float64,
                  grad_fn=True, concept="One log pi per action: sum over the action dims "
                  "(sum(dim=-1)). " + SQUASH)
    u = torch.atanh(a)
    gaussian = _gaussian(u, mean.detach(), log_std.detach())
    tanh_term = 2 * (math.log(2) - u - F.softplus(-2 * u))
    right = (gaussian - tanh_term - scale.log()).sum(-1)
    got = log_pi.detach()
    if torch.allclose(got, (gaussian - scale.log()).sum(-1), atol=1e-4):
        fail("log pi has no tanh correction: tanh squeezes the Gaussian into (-1, 1), which "
             "raises the density; subtract log(1 - tanh(u)^2) per action dim.\n" + SQUASH)
    if torch.allclose(got, (gaussian - tanh_term).sum(-1), atol=1e-4):
        fail("log pi leaves out the scale's term: stretching (-1, 1) onto the bounds lowers "
             "the density by `scale`; subtract log(scale) per action dim.\n" + SQUASH)
    expect_tensor(got, name="the log pi squash returns", values=right, atol=1e-4, concept=SQUASH)


class _Actor(nn.Module):
    """A deterministic stand-in for the actor: fixed actions, log pi attached to its weights."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.body = nn.Linear(3, 2)

    def forward(self, obs):
        out = self.body(obs)
        return 2 * torch.tanh(out), out.pow(2).sum(-1) - 1.0


class _Critic(nn.Module):
    def __init__(self, seed, offset=0.0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
        with torch.no_grad():
            self.net[-1].bias.add_(offset)

    def forward(self, obs, action):
        return self.net(torch.cat([obs, action], -1)).squeeze(-1) * 4.0


def _batch(size=8, seed=4):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(size, generator=g), torch.randn(size, 3, generator=g),
            (torch.arange(size) % 4 == 3).float())


def _probe_targets(exercise):
    actor, q1, q2 = _Actor(), _Critic(5), _Critic(6)
    rewards, next_obs, terminated = _batch()
    y = exercise.critic_targets(actor, q1, q2, rewards, next_obs, terminated, 0.4, 0.9)
    expect_tensor(y, name="the critic targets", shape=(8,), dtype=torch.float32, concept=TARGET)
    if y.requires_grad:
        fail("The critic targets carry a graph back to the target critics and the actor: the "
             "critic loss's backward would send gradient into them through the target. "
             "Compute it all under torch.no_grad().\n" + TARGET)
    with torch.no_grad():
        a, log_pi = actor(next_obs)
        v1, v2 = q1(next_obs, a), q2(next_obs, a)
    alive = 0.9 * (1 - terminated)
    right = rewards + alive * (torch.min(v1, v2) - 0.4 * log_pi)
    stories = {
        "the MAX of the twin target critics: SAC takes the smaller, elementwise, against "
        "overestimation": rewards + alive * (torch.max(v1, v2) - 0.4 * log_pi),
        "+ alpha * log pi in the target: the entropy bonus is MINUS alpha * log pi":
            rewards + alive * (torch.min(v1, v2) + 0.4 * log_pi),
        "bootstrapping past a termination: multiply by (1 - terminated)":
            rewards + 0.9 * (torch.min(v1, v2) - 0.4 * log_pi),
    }
    for story, wrong in stories.items():
        expect(not torch.allclose(y, wrong, atol=1e-4), f"The targets take {story}.\n" + TARGET)
    expect_tensor(y, name="the critic targets", values=right, atol=1e-4, concept=TARGET)


def _probe_actor_loss(exercise):
    actor, q1, q2 = _Actor(), _Critic(7), _Critic(8, offset=0.3)
    _, obs, _ = _batch(seed=9)
    loss, log_pi = exercise.actor_loss(actor, q1, q2, obs, 0.2)
    expect_tensor(loss, name="the actor loss", shape=(), grad_fn=True, concept=ACTOR)
    expect_tensor(log_pi, name="the log pi actor_loss returns", shape=(8,), concept=ACTOR)
    with torch.no_grad():
        a, lp = copy.deepcopy(actor)(obs)
        v1, v2 = q1(obs, a), q2(obs, a)
    right = (0.2 * lp - torch.min(v1, v2)).mean()
    got = float(loss.detach())
    if abs(got - float((0.2 * lp - torch.max(v1, v2)).mean())) < 1e-5:
        fail("The actor loss takes the MAX of the twin critics: the actor would chase every "
             "overestimate. Use torch.min.\n" + ACTOR)
    expect_close(got, float(right), name="the actor loss", atol=1e-5, concept=ACTOR)


def _probe_alpha_loss(exercise):
    log_alpha = torch.zeros(1, requires_grad=True)
    log_pi = torch.tensor([2.0, 1.0, 3.0], requires_grad=True)
    loss = exercise.alpha_loss(log_alpha, log_pi * 1.0)
    expect_tensor(loss, name="the temperature loss", shape=(), grad_fn=True, concept=ALPHA)
    loss.backward()
    expect(log_pi.grad is None, "The temperature loss sent gradient into log pi (and so into "
           "the actor): detach the bracket.\n" + ALPHA)
    grad = float(log_alpha.grad)
    expect(grad < 0, f"With log pi = 2 on average (entropy -2, below the target of "
           f"{exercise.TARGET_ENTROPY:g}) a descent step should RAISE log_alpha, but its "
           f"gradient is {grad:+.3f}: the sign of the alpha loss is flipped. It is MINUS "
           "the mean.\n" + ALPHA)
    expect_close(grad, -(2.0 + exercise.TARGET_ENTROPY), name="d alpha_loss / d log_alpha",
                 atol=1e-5, concept=ALPHA)


def _probe_soft_update(exercise):
    online, target = _Critic(10), _Critic(11)
    before = copy.deepcopy(target)
    exercise.soft_update(online, target, 0.25)
    for (name, p), q, o in zip(target.named_parameters(), before.parameters(),
                               online.parameters(), strict=True):
        expect(not torch.equal(p, q), f"soft_update left the target's {name} as it was: the "
               "target is never updated, so the critics chase a random network forever.\n"
               + POLYAK)
        expect_tensor(p, name=f"the target's {name} after soft_update(tau=0.25)",
                      values=0.75 * q + 0.25 * o, atol=1e-6, requires_grad=True, grad_fn=False,
                      concept=POLYAK)
    with torch.no_grad():
        online.net[0].weight.add_(1.0)
    expect(not torch.allclose(online.net[0].weight, target.net[0].weight),
           "After soft_update the target shares its tensors with the online critic: it must "
           "trail it, not be it. Change the target's own tensors in place.\n" + POLYAK)


PIECES = (_probe_squash, _probe_targets, _probe_actor_loss, _probe_alpha_loss, _probe_soft_update)


def test_squash(exercise):
    """squash: a reparameterised action within the bounds, and log pi with both corrections."""
    _probe_squash(exercise)


def test_critic_targets(exercise):
    """critic_targets: r + gamma (1 - terminated) (min of the target twins - alpha log pi), no grad."""
    _probe_targets(exercise)


def test_actor_loss(exercise):
    """actor_loss: mean(alpha log pi - min(Q1, Q2)) at fresh actions."""
    _probe_actor_loss(exercise)


def test_alpha_loss(exercise):
    """alpha_loss: raises alpha when the entropy is below the target; trains log_alpha only."""
    _probe_alpha_loss(exercise)


def test_soft_update(exercise):
    """soft_update: each target weight moves tau of the way toward the online one."""
    _probe_soft_update(exercise)


def test_agent_learns_pendulum(exercise):
    """The agent reaches a 5-episode mean of -250 on Pendulum-v1 within 10,000 steps."""
    require_pieces(exercise, PIECES)
    runs = expect_learns(exercise.train, agent="SAC", seeds=SEEDS, max_steps=BUDGET, bar=BAR,
                         env_id="Pendulum-v1", window=WINDOW)
    actor = runs[0].agent
    expect(isinstance(actor, nn.Module) and callable(getattr(actor, "greedy", None)),
           "train should return the trained Actor, as the given loop does; it returned "
           f"{type(actor).__name__}. Leave train as shipped.")
    # The watch screen replays one noise-free episode of the learner's own actor, from a
    # pendulum hanging down and nearly still (cos(angle) < -0.9, |speed| < 0.5), so the
    # swing-up is there to see.
    record_greedy_episode(actor, _greedy, seed=runs[0].seed, env_id="Pendulum-v1",
                          start=lambda obs: obs[0] < -0.9 and abs(obs[2]) < 0.5)


def _greedy(actor, obs):
    """The trained actor's noise-free torque for one (3,) observation, as a (1,) action."""
    return actor.greedy(obs.unsqueeze(0))[0]

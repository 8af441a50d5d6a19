"""Check: the SAC pieces, then a SAC agent that learns to swing up Pendulum-v1.

The piece tests come first and take well under a second together, so a wrong
piece fails with a precise message before any training: per piece a probe on
one fixed example that names the classic mistakes, then the piece's contract
(the harness tries the docstring's promise on what it allows, and the
contract's diagnosis names the mistake on the case that broke it). The
training test asks each piece again before it trains (a wrong piece would
only burn the step budget).

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
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.gym import expect_learns, piece, record_greedy_episode, require_pieces
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

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


WHOLE_BATCH_MIN = (
    "the smallest value of both twins over the WHOLE batch, one number for every row: torch.min "
    "of a stacked pair without dim= reduces everything. Take the smaller twin per transition: "
    "torch.min(q1, q2) elementwise, or stack(...).min(dim=0).values"
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
    # Checked before the values: a target written into rewards in place would otherwise
    # read as wrong values, the expected ones worked out from the overwritten rewards.
    inputs = InputSnapshot(rewards=rewards, next_obs=next_obs, terminated=terminated)
    y = exercise.critic_targets(actor, q1, q2, rewards, next_obs, terminated, 0.4, 0.9)
    inputs.expect_untouched(function="critic_targets", concept=TARGET)
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
        WHOLE_BATCH_MIN: rewards + alive * (torch.stack([v1, v2]).min() - 0.4 * log_pi),
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
    if abs(got - float((0.2 * lp).mean() - torch.stack([v1, v2]).min())) < 1e-5:
        fail("The actor loss takes " + WHOLE_BATCH_MIN + ".\n" + ACTOR)
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


# The contracts: each piece's docstring promise, tried on what it allows (any obs and action
# dims, a batch of one and larger, float32 and float64, terminations, alpha of 0, tau of 0
# and 1, fresh and used networks, frozen targets). The probes above name the classic
# mistakes on one example; each contract's diagnose names them again on the case that broke.

def _close(got, want, atol):
    return (isinstance(got, torch.Tensor) and got.shape == want.shape
            and torch.allclose(got.detach().double(), want.detach().double(), atol=atol))


class _Policy(nn.Module):
    """A stochastic actor with SAC's interface: (2 tanh(u), log pi), u drawn from the global
    stream, so calling it twice gives two different actions."""

    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.body = nn.Linear(obs_dim, 2 * act_dim)

    def forward(self, obs):
        mean, log_std = self.body(obs).chunk(2, dim=-1)
        log_std = log_std.clamp(-2.0, 0.0)
        noise = torch.randn_like(mean)
        a = torch.tanh(mean + log_std.exp() * noise)
        log_pi = (-0.5 * noise.pow(2) - log_std - 0.5 * math.log(2 * math.pi)
                  - torch.log(1 - a.pow(2) + 1e-6) - math.log(2.0)).sum(-1)
        return 2 * a, log_pi


class _Twin(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim + act_dim, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, obs, action):
        return self.net(torch.cat([obs, action], -1)).squeeze(-1) * 3.0


def _networks(draw, *kinds):
    """Fresh networks of the case's dims and dtype, with drawn weights; "used" ones hold the
    .grad the last step left, "frozen" ones require no grad (a target kept out of autograd)."""
    obs_dim, act_dim = draw["dims"]
    out = []
    for kind in kinds:
        net = (_Policy if kind == "actor" else _Twin)(obs_dim, act_dim).to(draw["dtype"])
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(draw.randn(*p.shape, scale=0.6))
        if draw.get("networks") == "used":
            for p in net.parameters():
                p.grad = draw.randn(*p.shape)
        if draw.get("networks") == "frozen targets" and kind == "twin":
            net.requires_grad_(False)
        out.append(net)
    return out


DIMS = [(3, 1), (2, 3)]
FLOATS = [torch.float32, torch.float64]


_SQUASH_KEYS = ("action shape", "log pi shape", "the action lies within the bounds",
                "the action keeps its graph", "log pi has no tanh correction",
                "log pi has no log(scale)", "action - promised", "log pi - promised")


def _squash_session(squash):
    """squash's outputs judged at the noise it drew: u is read back from the action, and the
    promised action and log pi are worked out for that u, with the graph through mean, log_std."""
    def run(mean, log_std, scale, bias):
        action, log_pi = squash(mean, log_std, scale, bias)
        result = dict.fromkeys(_SQUASH_KEYS)  # the same keys whatever went wrong
        result.update({"action shape": tuple(action.shape), "log pi shape": tuple(log_pi.shape)})
        if result["action shape"] != tuple(mean.shape) or \
                result["log pi shape"] != tuple(mean.shape[:-1]):
            return result
        a = (action.detach().double() - bias.double()) / scale.double()
        result["the action lies within the bounds"] = bool((a.abs() < 1).all())
        result["the action keeps its graph"] = action.requires_grad
        u_seen = a.clamp(-1 + 1e-12, 1 - 1e-12).atanh()
        noise = ((u_seen - mean.detach().double()) / log_std.detach().double().exp())
        u = mean + log_std.exp() * noise.to(mean.dtype)
        gaussian = _gaussian(u, mean, log_std)
        tanh_term = 2 * (math.log(2) - u - F.softplus(-2 * u))
        tol = 1e-3 if mean.dtype == torch.float32 else 3e-4
        result["log pi has no tanh correction"] = \
            _close(log_pi, (gaussian - scale.log()).sum(-1), tol) and bool(u.abs().max() > 0.1)
        result["log pi has no log(scale)"] = _close(log_pi, (gaussian - tanh_term).sum(-1), tol)
        result["action - promised"] = action - (torch.tanh(u) * scale + bias)
        result["log pi - promised"] = log_pi - (gaussian - tanh_term - scale.log()).sum(-1)
        return result
    return run


def _reference_squash(mean, log_std, scale, bias):
    gaussian = torch.distributions.Normal(mean, log_std.exp())
    u = gaussian.rsample()
    a = torch.tanh(u)
    log_pi = gaussian.log_prob(u) - torch.log(1 - a.pow(2) + 1e-6) - torch.log(scale)
    return a * scale + bias, log_pi.sum(-1)


def _explain_squash(case, got, want):
    key, where = case.result_key, f"With {case.label}: "
    messages = {
        "action shape": "the action should have mean's shape (B, A).",
        "log pi shape": "log pi should be one number per action, (B,): sum over the action "
                        "dims (sum(dim=-1)).",
        "the action lies within the bounds": "some actions lie outside [bias - scale, bias + "
                                             "scale]: act with tanh(u) * scale + bias.",
        "the action keeps its graph": "the action has no graph back to mean and log_std: the "
                                      "actor loss differentiates through it. Draw u with "
                                      "rsample().",
        "log pi has no tanh correction": "log pi has no tanh correction: subtract log(1 - "
                                         "tanh(u)^2) per action dim.",
        "log pi has no log(scale)": "log pi leaves out the scale's term: subtract log(scale) "
                                    "per action dim.",
    }
    if key in messages:
        fail(where + messages[key] + "\n" + SQUASH)
    if key in ("action - promised", "log pi - promised") or case.gradient_problem:
        what = "the action" if key == "action - promised" else "the log pi"
        fail(where + f"{what} squash returns is not what the noise it drew gives (u read back from the "
             "action: the Gaussian's log-density of u, minus log(1 - tanh(u)^2), minus "
             "log(scale), summed over the action dims; gradients through mean and log_std "
             "included)." + f"\n({case.problem})\n" + SQUASH)


def _contract_squash(exercise):
    def inputs(draw):
        batch, act = draw["batch"], draw["act"]
        mean = draw.randn(batch, act, scale=0.4)
        log_std = (draw.randn(batch, act, scale=0.2) - 1.0).clamp(max=-0.7)
        if draw["spread"] == "narrowest (log_std = -5)":
            log_std = torch.full_like(mean, -5.0)  # the actor's floor, LOG_STD_MIN
        scale, bias = draw.rand(act) * 1.5 + 1.5, draw.randn(act)
        if draw["graph"]:
            mean, log_std = mean.requires_grad_(), log_std.requires_grad_()
        return Args(mean, log_std, scale, bias)
    check_contract(Contract(
        function="squash", call=_squash_session(exercise.squash),
        reference=_squash_session(_reference_squash), inputs=inputs,
        axes={"batch": [1, 6], "act": [1, 3], "dtype": FLOATS,
              "spread": ["moderate", "narrowest (log_std = -5)"], "graph": [True, False]},
        atol=1e-3, rtol=1e-4, tolerance={torch.float64: (3e-4, 1e-4)}, uses_rng=True,
        diagnose=_explain_squash, concept=SQUASH))


def _targets_reference(seen):
    def reference(actor, q1_target, q2_target, rewards, next_obs, terminated, alpha, gamma):
        with torch.no_grad():
            a, log_pi = actor(next_obs)
            v1, v2 = q1_target(next_obs, a), q2_target(next_obs, a)
            seen.update(rewards=rewards, alive=gamma * (1 - terminated), v1=v1, v2=v2,
                        log_pi=log_pi, alpha=alpha, gamma=gamma)
            return rewards + gamma * (1 - terminated) * (torch.min(v1, v2) - alpha * log_pi)
    return reference


def _explain_targets(seen):
    def diagnose(case, got, want):
        where = f"With {case.label}: "
        if isinstance(got, torch.Tensor) and got.requires_grad:
            fail(where + "the critic targets carry a graph: compute them under "
                 "torch.no_grad().\n" + TARGET)
        r, alive, v1, v2 = seen["rewards"], seen["alive"], seen["v1"], seen["v2"]
        entropy = seen["alpha"] * seen["log_pi"]
        stories = {
            "the MAX of the twin target critics: SAC takes the smaller, elementwise":
                r + alive * (torch.max(v1, v2) - entropy),
            "+ alpha * log pi: the entropy bonus is MINUS alpha * log pi":
                r + alive * (torch.min(v1, v2) + entropy),
            "no (1 - terminated): it bootstraps past a termination":
                r + seen["gamma"] * (torch.min(v1, v2) - entropy),
            "one critic's value (or the critic with the smaller batch mean): the smaller "
            "value is taken per row, elementwise": r + alive * (v1 - entropy),
            WHOLE_BATCH_MIN: r + alive * (torch.stack([v1, v2]).min() - entropy),
        }
        for story, wrong in stories.items():
            if not _close(want, wrong, 1e-6) and _close(got, wrong, 1e-4):
                fail(where + f"the targets take {story}.\n" + TARGET)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and want.numel() > 1 \
                and not _close(got, want, 1e-4):
            fail(where + "the targets are wrong; if they are right for a batch of one, call "
                 "the actor ONCE on next_obs (each call draws other actions) and keep every "
                 f"step elementwise, one target per transition.\n({case.problem})\n" + TARGET)
    return diagnose


def _contract_critic_targets(exercise):
    def inputs(draw):
        actor, q1, q2 = _networks(draw, "actor", "twin", "twin")
        batch, obs_dim = draw["batch"], draw["dims"][0]
        terminated = {"none": torch.zeros(batch), "all": torch.ones(batch),
                      "some": (torch.arange(batch) % 3 == 1).float()}[draw["terminated"]]
        return Args(actor, q1, q2, draw.randn(batch, scale=3.0), draw.randn(batch, obs_dim),
                    terminated.to(draw["dtype"]), draw["alpha"], draw["gamma"])
    seen = {}
    check_contract(Contract(
        function="critic_targets", call=exercise.critic_targets,
        reference=_targets_reference(seen), inputs=inputs,
        axes={"batch": [1, 9], "dims": DIMS, "dtype": FLOATS,
              "terminated": ["none", "some", "all"], "alpha": [0.0, 0.4], "gamma": [0.99, 0.5],
              "networks": ["fresh", "used", "frozen targets"]},
        atol=1e-5, rtol=1e-5, uses_rng=True, diagnose=_explain_targets(seen), concept=TARGET))


def _actor_loss_reference(seen):
    def reference(actor, q1, q2, obs, alpha):
        actions, log_pi = actor(obs)
        v1, v2 = q1(obs, actions), q2(obs, actions)
        seen.update(v1=v1.detach(), v2=v2.detach(), log_pi=log_pi.detach(), alpha=alpha)
        return (alpha * log_pi - torch.min(v1, v2)).mean(), log_pi
    return reference


def _explain_actor_loss(seen):
    def diagnose(case, got, want):
        where = f"With {case.label}: "
        if not (isinstance(got, tuple) and len(got) == 2):
            return
        loss, entropy = got[0], seen["alpha"] * seen["log_pi"]
        v1, v2 = seen["v1"], seen["v2"]
        stories = {
            "the MAX of the twin critics: the actor would chase every overestimate. Use "
            "torch.min": (entropy - torch.max(v1, v2)).mean(),
            "one critic's value (or the critic with the smaller batch mean): the smaller "
            "value is taken per row, elementwise, before the mean": (entropy - v1).mean(),
            "the sum over the batch: average it (.mean())": (entropy - torch.min(v1, v2)).sum(),
            WHOLE_BATCH_MIN: entropy.mean() - torch.stack([v1, v2]).min(),
        }
        for story, wrong in stories.items():
            if not _close(want[0], wrong, 1e-6) and _close(loss, wrong, 1e-4):
                fail(where + f"the actor loss is {story}.\n" + ACTOR)
        if case.gradient_problem:
            fail(where + "the loss has the right value but the wrong gradient: the actions "
                 "must keep their graph to the actor (no .detach(), no no_grad), and the "
                 f"critics' values stay attached too.\n({case.problem})\n" + ACTOR)
        if "result[1]" in case.problem:
            fail(where + "the log pi returned is not the one of the actions the loss used: "
                 "call the actor once and return its log pi, with its graph.\n" + ACTOR)
    return diagnose


def _contract_actor_loss(exercise):
    def inputs(draw):
        actor, q1, q2 = _networks(draw, "actor", "twin", "twin")
        return Args(actor, q1, q2, draw.randn(draw["batch"], draw["dims"][0]), draw["alpha"])
    seen = {}
    check_contract(Contract(
        function="actor_loss", call=exercise.actor_loss, reference=_actor_loss_reference(seen),
        inputs=inputs,
        axes={"batch": [1, 8], "dims": DIMS, "dtype": FLOATS, "alpha": [0.0, 0.2, 2.0],
              "networks": ["fresh", "used"]},
        atol=1e-5, rtol=1e-5, uses_rng=True, diagnose=_explain_actor_loss(seen), concept=ACTOR))


def _explain_alpha_loss(case, got, want):
    where = f"With {case.label}: "
    if case.gradient_problem:
        fail(where + "the temperature loss sends gradient into log pi (and so into the "
             "actor): detach the bracket.\n" + ALPHA)
    if _close(got, -want, 1e-6) and not _close(want, -want, 1e-6):
        fail(where + "the sign of the alpha loss is flipped: it is MINUS the mean.\n" + ALPHA)


def _contract_alpha_loss(exercise):
    def inputs(draw):
        log_alpha = draw.randn(*draw["log_alpha"], scale=0.5).requires_grad_()
        log_pi = draw.randn(draw["batch"], scale=2.0)
        return Args(log_alpha, log_pi.requires_grad_(draw["log_pi_graph"]))
    check_contract(Contract(
        function="alpha_loss", call=exercise.alpha_loss,
        reference=lambda log_alpha, log_pi: -(
            log_alpha * (log_pi + exercise.TARGET_ENTROPY).detach()).mean(),
        inputs=inputs,
        axes={"log_alpha": [(1,), ()], "batch": [1, 7], "dtype": FLOATS,
              "log_pi_graph": [True, False]},
        diagnose=_explain_alpha_loss, concept=ALPHA))


def _polyak_session(update):
    """soft_update's effect: the target's weights after, and that it kept its own tensors."""
    def run(online, target, tau):
        own = [p for p in target.parameters()]
        online_before = [p.detach().clone() for p in online.parameters()]
        returned = update(online, target, tau)
        after = list(target.parameters())
        shared = {p.data_ptr() for p in online.parameters()}
        return {
            "returns": returned,
            "the target keeps its own tensors": len(after) == len(own) and all(
                a is b and a.data_ptr() not in shared for a, b in zip(after, own, strict=True)),
            "target weights after": [p.detach().clone() for p in after],
            "the online network moved by": [
                (p - q).detach() for p, q in zip(online.parameters(), online_before, strict=True)],
        }
    return run


def _reference_polyak(online, target, tau):
    with torch.no_grad():
        for mine, theirs in zip(target.parameters(), online.parameters(), strict=True):
            mine.mul_(1 - tau).add_(tau * theirs)


def _explain_polyak(case, got, want):
    key, where = case.result_key, f"With {case.label}: "
    tau = case.axes["tau"]
    if key == "target weights after" and tau not in (0.0, 1.0):
        weights, online, target = got[key], case.inputs.args[0], case.inputs.args[1]
        if all(torch.allclose(w, p) for w, p in zip(weights, target.parameters(), strict=True)):
            fail(where + "soft_update left the target as it was: the target is never "
                 "updated, so the critics would chase a random network forever.\n" + POLYAK)
        if all(torch.allclose(w, tau * p + (1 - tau) * o, atol=1e-6) for w, p, o in zip(
                weights, target.parameters(), online.parameters(), strict=True)):
            fail(where + f"the target moved 1 - tau = {1 - tau:g} of the way toward the online "
                 f"network, not tau = {tau:g}: the weights are the wrong way round.\n" + POLYAK)
    if key == "the target keeps its own tensors":
        fail(where + "the target's parameters were replaced or now share the online "
             "network's tensors: it must trail the online network, not be it. Change the "
             "target's own tensors in place.\n" + POLYAK)
    if key == "returns":
        fail(where + "soft_update returns something: it changes the target in place and "
             "returns None.\n" + POLYAK)


def _contract_soft_update(exercise):
    def inputs(draw):
        online, target = _networks(draw, "twin", "twin")
        if draw["target"] == "frozen":
            target.requires_grad_(False)
        return Args(online, target, draw["tau"])
    check_contract(Contract(
        function="soft_update", call=_polyak_session(exercise.soft_update),
        reference=_polyak_session(_reference_polyak), inputs=inputs,
        axes={"tau": [0.0, 0.005, 0.25, 1.0], "dims": DIMS, "dtype": FLOATS,
              "target": ["requires grad", "frozen"], "networks": ["fresh", "used"]},
        atol=1e-6, rtol=1e-5, gradients=False, diagnose=_explain_polyak, concept=POLYAK))


def test_squash(exercise):
    """squash: a reparameterised action within the bounds, and log pi with both corrections."""
    piece(exercise, _probe_squash)


def test_squash_contract(exercise):
    """squash keeps its promise for any action dims, a batch of one, float64, narrow and wide
    spreads, any bounds, and inputs with or without a graph."""
    piece(exercise, _contract_squash)


def test_critic_targets(exercise):
    """critic_targets: r + gamma (1 - terminated) (min of the target twins - alpha log pi), no grad."""
    piece(exercise, _probe_targets)


def test_critic_targets_contract(exercise):
    """critic_targets keeps its promise for any dims, a batch of one, float64, terminations,
    alpha of 0, used networks and frozen targets."""
    piece(exercise, _contract_critic_targets)


def test_actor_loss(exercise):
    """actor_loss: mean(alpha log pi - min(Q1, Q2)) at fresh actions."""
    piece(exercise, _probe_actor_loss)


def test_actor_loss_contract(exercise):
    """actor_loss keeps its promise for any dims, a batch of one, float64, alpha of 0 and
    larger, fresh and used networks, gradients into the actor included."""
    piece(exercise, _contract_actor_loss)


def test_alpha_loss(exercise):
    """alpha_loss: raises alpha when the entropy is below the target; trains log_alpha only."""
    piece(exercise, _probe_alpha_loss)


def test_alpha_loss_contract(exercise):
    """alpha_loss keeps its promise for log_alpha of shape (1,) or (), a batch of one,
    float64, and a log pi with or without a graph."""
    piece(exercise, _contract_alpha_loss)


def test_soft_update(exercise):
    """soft_update: each target weight moves tau of the way toward the online one."""
    piece(exercise, _probe_soft_update)


def test_soft_update_contract(exercise):
    """soft_update keeps its promise for tau of 0, 1 and between, float64, fresh and used
    networks, and targets that require grad or are frozen."""
    piece(exercise, _contract_soft_update)


PIECES = (_probe_squash, _contract_squash, _probe_targets, _contract_critic_targets,
          _probe_actor_loss, _contract_actor_loss, _probe_alpha_loss, _contract_alpha_loss,
          _probe_soft_update, _contract_soft_update)


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

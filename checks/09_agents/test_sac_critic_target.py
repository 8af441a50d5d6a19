"""Check: the SAC critic target: one fresh a', twin minimum, - alpha log pi, (1 - done), no grad."""

import copy

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

OBS, ACT = 3, 2
CONCEPT = (
    "SAC target, all under torch.no_grad(): a', log_pi = actor(next_obs); "
    "y = r + gamma * (1 - done) * (torch.min(q1_target(next_obs, a'), q2_target(next_obs, a')) "
    "- alpha * log_pi), the min taken elementwise, one per transition."
)


class _Actor(nn.Module):
    """A small squashed-Gaussian actor that records how it is called."""

    def __init__(self, seed, dtype):
        super().__init__()
        torch.manual_seed(seed)
        self.mean = nn.Linear(OBS, ACT).to(dtype)
        self.calls = []  # (obs given, grad mode)
        self.draws = []  # (action, log_pi) handed out

    def forward(self, obs):
        self.calls.append((obs.detach().clone(), torch.is_grad_enabled()))
        noise = torch.randn(obs.shape[0], ACT, dtype=obs.dtype)
        u = self.mean(obs) + 0.5 * noise
        action = torch.tanh(u)
        log_pi = (-0.5 * noise**2).sum(-1) - torch.log(1 - action**2 + 1e-6).sum(-1)
        self.draws.append((action.detach().clone(), log_pi.detach().clone()))
        return action, log_pi


class _Critic(nn.Module):
    def __init__(self, seed, dtype, offset=0.0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(OBS + ACT, 16), nn.Tanh(), nn.Linear(16, 1)).to(dtype)
        with torch.no_grad():
            self.net[-1].bias.add_(offset)
        self.grad_modes = []

    def forward(self, obs, action):
        self.grad_modes.append(torch.is_grad_enabled())
        return self.net(torch.cat([obs, action], dim=-1)).squeeze(-1)


def _setup(size=6, seed=0, dtype=torch.float32, offset=0.0):
    actor = _Actor(seed, dtype)
    q1, q2 = _Critic(seed + 1, dtype), _Critic(seed + 2, dtype, offset)
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(size, generator=g, dtype=dtype)
    next_obs = torch.randn(size, OBS, generator=g, dtype=dtype)
    dones = (torch.arange(size) % 3 == 2).to(dtype)
    return actor, q1, q2, rewards, next_obs, dones


def _call(exercise, actor, q1, q2, rewards, next_obs, dones, alpha, gamma=0.99):
    torch.manual_seed(123)
    return exercise.sac_critic_target(actor, q1, q2, rewards, next_obs, dones, alpha, gamma)


def _candidates(actor, q1, q2, rewards, next_obs, dones, alpha, gamma=0.99):
    action, log_pi = actor.draws[0]
    alpha = float(alpha)
    with torch.no_grad():
        v1, v2 = q1.net(torch.cat([next_obs, action], -1)).squeeze(-1), \
            q2.net(torch.cat([next_obs, action], -1)).squeeze(-1)
    mask = gamma * (1 - dones)
    return {
        "right": rewards + mask * (torch.min(v1, v2) - alpha * log_pi),
        "the MAX of the twin critics: the min is what fights overestimation":
            rewards + mask * (torch.max(v1, v2) - alpha * log_pi),
        "the MEAN of the twin critics: SAC takes the smaller one, elementwise":
            rewards + mask * ((v1 + v2) / 2 - alpha * log_pi),
        "Q1 alone: both target critics are evaluated and the smaller value is used":
            rewards + mask * (v1 - alpha * log_pi),
        "+ alpha * log_pi: the entropy bonus is - alpha * log_pi (an unlikely action, with "
        "low log_pi, earns MORE)": rewards + mask * (torch.min(v1, v2) + alpha * log_pi),
        "the target without the entropy term: subtract alpha * log_pi":
            rewards + mask * torch.min(v1, v2),
        "one min over the whole batch (.min() with no dim): the min is taken per transition, "
        "between its two critic values, as torch.min(q1, q2) does":
            rewards + mask * (torch.min(v1, v2).min() - alpha * log_pi),
    }


def test_one_target_per_transition(exercise):
    """A batch of 6 gives a (6,) float32 target."""
    setup = _setup()
    y = _call(exercise, *setup, 0.2)
    expect_tensor(y, name="the SAC targets", shape=(6,), dtype=torch.float32, concept=CONCEPT)


def test_computed_without_grad(exercise):
    """Actor and target critics run under no_grad; alpha = log_alpha.exp() gets no gradient."""
    actor, q1, q2, *batch = _setup(seed=1)
    log_alpha = torch.tensor(-1.0, requires_grad=True)
    y = _call(exercise, actor, q1, q2, *batch, log_alpha.exp())
    modes = [mode for _, mode in actor.calls] + q1.grad_modes + q2.grad_modes
    expect(modes and not any(modes),
           "The actor or a target critic ran while autograd was recording. The target is a "
           "constant for the critic loss: compute all of it inside `with torch.no_grad():`.\n"
           + CONCEPT)
    expect_tensor(y, name="the SAC targets", requires_grad=False, grad_fn=False,
                  concept="alpha may be log_alpha.exp(), a tensor with grad: under no_grad it "
                  "still adds no graph. " + CONCEPT)
    expect(not y.is_inference(),
           "The targets are inference tensors (made under torch.inference_mode()): the critic "
           "loss that uses them would fail in backward ('Inference tensors cannot be saved for "
           "backward'). Use torch.no_grad(), or .clone() the result outside inference mode.\n"
           + CONCEPT)


def test_one_fresh_action_at_the_next_state(exercise):
    """The actor is called once, at next_obs, and both critics score that same a'."""
    actor, q1, q2, rewards, next_obs, dones = _setup(seed=2)
    _call(exercise, actor, q1, q2, rewards, next_obs, dones, 0.2)
    expect(len(actor.calls) == 1,
           f"The actor was called {len(actor.calls)} times. Draw a' once and give the same a' "
           "(and its log_pi) to both critics; each call draws a different action.\n" + CONCEPT)
    expect(torch.equal(actor.calls[0][0], next_obs),
           "The actor was not given next_obs: a' is the current policy's action at the NEXT "
           "state s'.\n" + CONCEPT)


def test_termination_stops_the_bootstrap(exercise):
    """Where done = 1 the target is r, however large the critics' values are."""
    actor, q1, q2, rewards, next_obs, _ = _setup(seed=3, offset=0.0)
    with torch.no_grad():
        q1.net[-1].bias.fill_(500.0)
        q2.net[-1].bias.fill_(700.0)
    dones = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    y = _call(exercise, actor, q1, q2, rewards, next_obs, dones, 0.2)
    expect_tensor(y, name="the SAC targets", shape=(6,), concept=CONCEPT)
    ended = dones.bool()
    expect_tensor(y[ended], name="the targets of the transitions with dones = 1",
                  values=rewards[ended], atol=1e-4, concept="dones[i] = 1 marks the last step "
                  "of an episode that terminated: y = r. Multiply the whole soft value, "
                  "entropy term included, by (1 - done). " + CONCEPT)


def test_twin_minimum_and_entropy_term(exercise):
    """With critics that disagree both ways and alpha = 0.5: min of the twins, minus alpha log pi."""
    setup = _setup(size=10, seed=4)
    y = _call(exercise, *setup, 0.5)
    candidates = _candidates(*setup, 0.5)
    right = candidates.pop("right")
    for story, wrong in candidates.items():  # the inputs must tell every mistake apart
        assert not torch.allclose(right, wrong, atol=1e-4), story
    expect_tensor(y, name="the SAC targets", shape=(10,), concept=CONCEPT)
    for story, wrong in candidates.items():
        expect(not torch.allclose(y, wrong, atol=1e-5),
               f"These targets use {story}.\n" + CONCEPT)
    expect_tensor(y, name="the SAC targets", values=right, atol=1e-5, concept=CONCEPT)


def test_alpha_as_a_tensor_batch_of_one_and_float64(exercise):
    """alpha as a (grad-carrying) 0-d tensor; B = 1; float64 networks give float64 targets."""
    for size, dtype in ((1, torch.float32), (1, torch.float64), (5, torch.float64)):
        setup = _setup(size=size, seed=5 + size, dtype=dtype, offset=0.2)
        alpha = torch.tensor(0.3, requires_grad=True)
        y = _call(exercise, *setup, alpha)
        expect_tensor(y, name=f"the SAC targets for a batch of {size} in {dtype}",
                      shape=(size,), dtype=dtype, grad_fn=False,
                      values=_candidates(*setup, 0.3)["right"], atol=1e-5, concept=CONCEPT)
        expect(alpha.grad is None and not alpha.is_inference(), "alpha was changed.")


def test_inputs_and_networks_unchanged(exercise):
    """The batch and the target critics are left as they came, with no .grad."""
    actor, q1, q2, *batch = _setup(seed=9)
    saved = [t.clone() for t in batch]
    before = copy.deepcopy(q1.net), copy.deepcopy(q2.net)
    _call(exercise, actor, q1, q2, *batch, 0.2)
    for name, now, then in zip(("rewards", "next_obs", "dones"), batch, saved, strict=True):
        expect_tensor(now, name=f"the caller's {name}", values=then,
                      concept="Only read the batch; never change it in place.")
    for label, net, old in (("q1_target", q1.net, before[0]), ("q2_target", q2.net, before[1])):
        for (name, p), q in zip(net.named_parameters(), old.parameters(), strict=True):
            expect(p.grad is None, f"{label}'s {name} got a .grad.\n" + CONCEPT)
            expect_tensor(p, name=f"{label}'s {name}", values=q,
                          concept="Computing a target never changes a network.")


def _reference_target(actor, q1_target, q2_target, rewards, next_obs, dones, alpha, gamma):
    """The docstring's target, written once."""
    with torch.no_grad():
        action, log_pi = actor(next_obs)
        soft = torch.min(q1_target(next_obs, action), q2_target(next_obs, action)) - alpha * log_pi
        return rewards + gamma * (1.0 - dones) * soft


def _with_modes(target):
    """The target, and whether each network handed in is still in the mode it came in."""
    def call(actor, q1, q2, *args):
        modes = [m.training for m in (actor, q1, q2)]
        y = target(actor, q1, q2, *args)
        return y, [m.training == mode for m, mode in zip((actor, q1, q2), modes, strict=True)]
    return call


def _explain_modes(case, got, want):
    if isinstance(got, tuple) and len(got) == 2 and got[1] != want[1]:
        fail("sac_critic_target changed the train/eval mode of a network it was given "
             f"({case.label}): the caller's actor and target critics must come back as they "
             "were. torch.no_grad() is what the target needs; .eval() (or .train()) is a "
             "lasting change to the caller's modules.\n" + CONCEPT)


def test_contract(exercise):
    """sac_critic_target keeps its promise for every batch, dtype, alpha and done pattern."""
    def inputs(draw):
        dtype, size = draw["dtype"], draw["batch"]
        with torch.random.fork_rng(devices=[]):
            seed = draw.seed()
            actor = _Actor(seed, dtype)
            q1, q2 = _Critic(seed + 1, dtype), _Critic(seed + 2, dtype, offset=1.0)
        for module in (actor, q1, q2):
            module.train(draw["train_mode"])
        alpha = 0.2 if draw["alpha"] == "float" else torch.tensor(0.2, dtype=dtype,
                                                                  requires_grad=True)
        dones = (draw.rand(size) < draw["p_done"]).to(dtype)
        return Args(actor, q1, q2, draw.randn(size), draw.randn(size, OBS), dones, alpha,
                    draw["gamma"])
    check_contract(Contract(
        function="sac_critic_target", call=_with_modes(exercise.sac_critic_target),
        reference=_with_modes(_reference_target), inputs=inputs,
        axes={"batch": [1, 7], "dtype": [torch.float32, torch.float64],
              "alpha": ["float", "tensor"], "p_done": [0.0, 0.5, 1.0], "gamma": [0.99, 0.5],
              "train_mode": [True, False]},
        uses_rng=True, diagnose=_explain_modes, concept=CONCEPT))

"""Check: the tanh-squashed Gaussian: log-det correction on u, summed, rsampled."""

import math

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "log pi(tanh(u)) = sum over the last dim of [Normal(mean, exp(log_std)).log_prob(u) - "
    "log(1 - tanh(u)^2)]; the correction as torch.log(1 - tanh(u)**2 + 1e-6) or "
    "2 * (log(2) - u - F.softplus(-2 * u))."
)
CONCEPT_SAMPLE = (
    "sample_squashed: u = Normal(mean, log_std.exp()).rsample(); return torch.tanh(u), "
    "tanh_log_prob(u, mean, log_std)."
)


def _inputs(size=5, act=3, seed=0, dtype=torch.float32, spread=1.0):
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(size, act, generator=g, dtype=dtype).requires_grad_(True)
    log_std = (0.5 * torch.randn(size, act, generator=g, dtype=dtype)).requires_grad_(True)
    u = spread * torch.linspace(-2.5, 2.5, size * act, dtype=dtype).reshape(size, act)
    return u, mean, log_std


def _gaussian(u, mean, log_std):
    u, mean, log_std = (t.detach().double() for t in (u, mean, log_std))
    return -0.5 * ((u - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)


def _log_det(u):
    u = u.detach().double()
    return 2 * (math.log(2) - u - F.softplus(-2 * u))


def _reference(u, mean, log_std):
    return (_gaussian(u, mean, log_std) - _log_det(u)).sum(-1)


def _log_prob(exercise, u, mean, log_std):
    try:
        return exercise.tanh_log_prob(u, mean, log_std)
    except ValueError as error:
        if "scale" not in str(error):
            raise
        expect(False, "Normal refused its scale: the scale is the standard deviation, which "
               "must be positive. std = log_std.exp(), not log_std itself.\n" + CONCEPT)


def test_one_log_prob_per_action(exercise):
    """tanh_log_prob is (B,): summed over the action dims, attached to mean and log_std."""
    u, mean, log_std = _inputs()
    logp = _log_prob(exercise, u, mean, log_std)
    expect_tensor(logp, name="tanh_log_prob(u, mean, log_std)", shape=(5,), dtype=torch.float32,
                  grad_fn=True, concept="One log-probability per action: sum over the action "
                  "dimensions, the correction included. " + CONCEPT)


def test_correction_on_u(exercise):
    """With |u| up to 2.5 the value is the Gaussian log-density minus log(1 - tanh(u)^2)."""
    u, mean, log_std = _inputs(size=6, act=4, seed=1)
    logp = _log_prob(exercise, u, mean, log_std)
    expect_tensor(logp, name="tanh_log_prob", shape=(6,), concept=CONCEPT)
    got = logp.detach().double()
    gaussian = _gaussian(u, mean, log_std)
    tanh_twice = torch.log(1 - torch.tanh(torch.tanh(u.double())) ** 2)
    stories = {
        "the Gaussian's log-density of u alone: the tanh correction is missing. tanh squeezes "
        "the line into (-1, 1), so the density of a differs from that of u":
            gaussian.sum(-1),
        "the correction ADDED: it is subtracted, log pi(a) = log N(u) - log(1 - tanh(u)^2)":
            (gaussian + _log_det(u)).sum(-1),
        "the correction taken of tanh(tanh(u)): tanh is applied twice. The correction is "
        "log(1 - tanh(u)^2), of u itself (or 1 - a^2 with a = tanh(u) once)":
            (gaussian - tanh_twice).sum(-1),
    }
    if not bool(torch.isfinite(got).all()):
        expect(False, "tanh_log_prob gave NaN or Inf for |u| up to 2.5. log(1 - u^2) is the "
               "formula for a = tanh(u) applied to u itself: negative under the log once "
               "|u| > 1. Use 1 - tanh(u)^2.\n" + CONCEPT)
    for story, wrong in stories.items():
        expect(not torch.allclose(got, wrong, atol=1e-3), f"This is {story}.\n" + CONCEPT)
    expect_tensor(got, name="tanh_log_prob", values=_reference(u, mean, log_std), atol=1e-3,
                  concept=CONCEPT)


def test_finite_when_tanh_saturates(exercise):
    """At u = +-12, where tanh(u) rounds to +-1 in float32, the log-prob stays finite."""
    u, mean, log_std = _inputs(size=2, act=3, seed=2)
    u = torch.tensor([[12.0, -12.0, 0.5], [-15.0, 1.0, 13.0]])
    with torch.no_grad():
        mean.copy_(u)  # the Gaussian part is ordinary; only the correction is at the edge
    logp = _log_prob(exercise, u, mean, log_std)
    expect_tensor(logp, name="tanh_log_prob where tanh(u) rounds to +-1", shape=(2,),
                  finite=True, concept="log(1 - tanh(u)^2) is log(0) = -inf once tanh(u) "
                  "rounds to 1: add a small epsilon inside the log (1e-6) or use the exact "
                  "form 2 * (log(2) - u - softplus(-2u)). " + CONCEPT)


def test_float64_and_batch_of_one(exercise):
    """float64 inputs give a float64 (B,); a batch of one and a single action dim keep (1,)."""
    for size, act, dtype in ((1, 1, torch.float32), (1, 3, torch.float64), (4, 1, torch.float64)):
        u, mean, log_std = _inputs(size, act, seed=3, dtype=dtype)
        before = [t.detach().clone() for t in (u, mean, log_std)]
        logp = _log_prob(exercise, u, mean, log_std)
        expect_tensor(logp, name=f"tanh_log_prob for B = {size}, A = {act}, {dtype}",
                      shape=(size,), dtype=dtype, values=_reference(u, mean, log_std),
                      atol=1e-3, concept="sum(dim=-1), not squeeze(): B = 1 stays (1,). "
                      + CONCEPT)
        for name, now, then in zip(("u", "mean", "log_std"), (u, mean, log_std), before,
                                   strict=True):
            expect_tensor(now, name=f"the caller's {name}", values=then,
                          concept="Never change the caller's tensors in place.")


def test_sample_squashed_is_a_reparameterised_tanh(exercise):
    """sample_squashed gives a in (-1, 1) with grad and the log-prob of the u behind it."""
    _, mean, log_std = _inputs(size=6, act=2, seed=4, dtype=torch.float64)
    torch.manual_seed(5)
    action, logp = exercise.sample_squashed(mean, log_std)
    expect_tensor(action, name="the squashed action", shape=(6, 2), dtype=torch.float64,
                  grad_fn=True, concept="SAC's actor loss differentiates through the action: "
                  "draw u with rsample(). " + CONCEPT_SAMPLE)
    expect(bool((action.detach().abs() < 1).all()),
           "The action should lie in (-1, 1): return tanh(u).\n" + CONCEPT_SAMPLE)
    expect_tensor(logp, name="the log-prob sample_squashed returns", shape=(6,),
                  dtype=torch.float64, grad_fn=True, concept=CONCEPT_SAMPLE)
    u = torch.atanh(action.detach())
    expect_tensor(logp, name="the log-prob of the squashed action", values=_reference(u, mean,
                  log_std), atol=1e-3, concept="Score the u you drew: Gaussian log-density at "
                  "u (not at a = tanh(u)), minus the correction. " + CONCEPT_SAMPLE)
    d_mean = torch.autograd.grad(action.sum(), mean)[0]
    expect_tensor(d_mean, name="d sum(a) / d mean", values=1 - action.detach() ** 2, atol=1e-6,
                  concept="With a = tanh(mean + std * noise), d a / d mean = 1 - a^2: u must "
                  "be drawn as mean + std * noise and squashed once. " + CONCEPT_SAMPLE)


def test_draws_follow_the_gaussian(exercise):
    """Over 4000 draws, atanh(a) has the Gaussian's mean and std."""
    mean = torch.tensor([[0.3, -0.8]], dtype=torch.float64).expand(4000, 2)
    log_std = torch.tensor([[-0.5, 0.2]], dtype=torch.float64).expand(4000, 2)
    torch.manual_seed(6)
    action, _ = exercise.sample_squashed(mean, log_std)
    z = (torch.atanh(action.detach()) - mean) / log_std.exp()
    expect(bool((z.mean(0).abs() < 6 / math.sqrt(4000)).all()
                and ((z.std(0) - 1).abs() < 6 / math.sqrt(8000)).all()),
           f"atanh(action) should be N(mean, exp(log_std)); standardised it has mean "
           f"{z.mean(0).tolist()} and std {z.std(0).tolist()}, expected 0 and 1.\n"
           + CONCEPT_SAMPLE)


def _reference_log_prob(u, mean, log_std):
    """The docstring's log pi(tanh(u)), in the exact form that never rounds."""
    gaussian = -0.5 * ((u - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
    log_det = 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))
    return (gaussian - log_det).sum(dim=-1)


def _judged_as_promised(tanh_log_prob):
    """Values (and gradients) where |u| is moderate; further out only finiteness is promised,
    since the 1e-6 form drifts there by design."""
    def call(u, mean, log_std, *, far):
        out = tanh_log_prob(u, mean, log_std)
        return torch.isfinite(out) if far and isinstance(out, torch.Tensor) else out
    return call


def _explain_far(case, got, want):
    if case.axes["u_scale"] > 2.5 and "gradient" not in case.problem:
        fail(f"tanh_log_prob is not finite everywhere for |u| up to {case.axes['u_scale']:g} "
             f"({case.label}): something in the correction overflows or rounds to log(0) far "
             "out (cosh(u) and exp(u) overflow float32 past |u| = 89). Use the exact form "
             "2 * (log(2) - u - F.softplus(-2 * u)), or log(1 - tanh(u)^2 + 1e-6).\n" + CONCEPT)


def _explain_far_or_bounded(case, got, want):
    _explain_far(case, got, want)
    if case.axes["log_std"] != "moderate" and "gradient" not in case.problem:
        fail(f"tanh_log_prob is right for moderate log_std but not for log_std near -9 or 4 "
             f"({case.label}): it must score u under N(mean, exp(log_std)) for the log_std it "
             "is given. Bounding log_std (CleanRL's [-5, 2], SB3's [-20, 2]) is the actor "
             "network's job, not this function's: clamp nothing here.\n" + CONCEPT)


def _draws(sample_squashed):
    def call(mean, log_std):
        with torch.random.fork_rng(devices=[]):  # the same noise for yours and the reference
            torch.manual_seed(11)
            return sample_squashed(mean, log_std)
    return call


def _reference_sample(mean, log_std):
    u = mean + log_std.exp() * torch.randn_like(mean)
    return torch.tanh(u), _reference_log_prob(u, mean, log_std)


def test_contract_log_prob(exercise):
    """tanh_log_prob keeps its promise for every B, A and dtype, gradients included, and stays
    finite however far u goes."""
    def inputs(draw):
        b, a = draw["batch"], draw["act_dim"]
        far = draw["u_scale"] > 2.5
        u = draw.randn(b, a).clamp(-1, 1) * draw["u_scale"]
        if draw["log_std"] == "moderate":
            mean = u + draw.randn(b, a, scale=0.5)  # u drawn near its own Gaussian, as in SAC
            log_std = draw.randn(b, a, scale=0.5)
        else:  # beyond any actor's bound (CleanRL's [-5, 2]): the function takes it as given
            log_std = draw.randn(b, a, scale=0.5) + torch.where(draw.rand(b, a) < 0.5, -9.0, 4.0)
            mean = u + log_std.detach().exp() * draw.randn(b, a)
        return Args(u.requires_grad_(), mean.requires_grad_(), log_std.requires_grad_(), far=far)
    check_contract(Contract(
        function="tanh_log_prob", call=_judged_as_promised(exercise.tanh_log_prob),
        reference=_judged_as_promised(_reference_log_prob), inputs=inputs,
        axes={"batch": [1, 6], "act_dim": [1, 4], "dtype": [torch.float32, torch.float64],
              "u_scale": [2.5, 100.0], "log_std": ["moderate", "outside [-5, 2]"]},
        atol=3e-4, rtol=1e-5, tolerance={torch.float64: (3e-4, 1e-6)},
        gradients=lambda axes: axes["u_scale"] <= 2.5, diagnose=_explain_far_or_bounded,
        concept=CONCEPT))


def test_contract_sample(exercise):
    """sample_squashed keeps its promise for every B, A and dtype, gradients included."""
    def inputs(draw):
        b, a = draw["batch"], draw["act_dim"]
        # Narrow Gaussians near 0 keep every drawn |u| well under 2.5, where values are promised.
        return Args(draw.randn(b, a, scale=0.3).requires_grad_(),
                    (draw.randn(b, a, scale=0.2) - 1.5).requires_grad_())
    check_contract(Contract(
        function="sample_squashed", call=_draws(exercise.sample_squashed),
        reference=_draws(_reference_sample), inputs=inputs,
        axes={"batch": [1, 6], "act_dim": [1, 4], "dtype": [torch.float32, torch.float64]},
        atol=3e-4, rtol=1e-5, tolerance={torch.float64: (3e-4, 1e-6)},
        concept=CONCEPT_SAMPLE))

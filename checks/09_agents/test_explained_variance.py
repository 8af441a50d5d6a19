"""Check: explained variance, 1 - Var[R - V] / Var[R]: unbounded below, NaN without spread."""

import math

import torch

from torchlings.checkapi.testing import expect, expect_close, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "explained_variance = 1 - Var[returns - values] / Var[returns], over all elements, as a "
    "Python float; float('nan') when Var[returns] is 0."
)


def _reference(values, returns):
    v, r = values.detach().double().flatten(), returns.detach().double().flatten()
    return 1.0 - float((r - v).var(correction=0) / r.var(correction=0))


def _call(exercise, values, returns, what):
    v_before, r_before = values.detach().clone(), returns.detach().clone()
    got = exercise.explained_variance(values, returns)
    expect(isinstance(got, float),
           f"explained_variance should return a Python float (for a log); for {what} it "
           f"returned {type(got).__name__} ({got!r}). Use .item() or float() at the end.")
    expect(torch.equal(values.detach(), v_before) and torch.equal(returns.detach(), r_before),
           "explained_variance changed its inputs: compute on new tensors.")
    return got


def _compare(exercise, values, returns, what):
    got, want = _call(exercise, values, returns, what), _reference(values, returns)
    if not math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-5):
        v, r = values.detach().double(), returns.detach().double()
        stories = {
            "the denominator is Var[values]; it must be Var[returns], the spread there is to "
            "explain": 1.0 - float((r - v).var() / v.var()),
            "the ratio is upside down: Var[returns - values] goes on top":
                1.0 - float(r.var() / (r - v).var()),
            "the '1 -' is missing: Var[returns - values] / Var[returns] is the part NOT "
            "explained": float((r - v).var() / r.var()),
            "it was clipped at 0: a critic worse than the mean must show a negative number":
                max(want, 0.0),
            "the two variances use different corrections (n - 1 for Var[returns], n for "
            "Var[returns - values]), so the ratio is off by n / (n - 1). Use the same one in "
            "both, e.g. correction=0 twice (np.var's default, as SB3)":
                1.0 - float((r - v).var(correction=0) / r.var(correction=1)),
            "the two variances use different corrections (n for Var[returns], n - 1 for "
            "Var[returns - values]), so the ratio is off by n / (n - 1). Use the same one in "
            "both, e.g. correction=0 twice (np.var's default, as SB3)":
                1.0 - float((r - v).var(correction=1) / r.var(correction=0)),
        }
        if r.dim() > 1:
            per_env = 1.0 - (r - v).var(0) / r.var(0)
            stories["it was computed per env (dim 0) and averaged; a (T, N) rollout is one set "
                    "of samples: take the variances over all elements"] = float(per_env.mean())
        for story, wrong in stories.items():
            if math.isclose(got, wrong, rel_tol=1e-5, abs_tol=1e-5):
                fail(f"explained_variance for {what} is {got:.6g}, expected {want:.6g}: {story}."
                     f"\n{CONCEPT}")
    expect_close(got, want, name=f"explained_variance for {what}", atol=1e-5, rtol=1e-5,
                 concept=CONCEPT)


def test_a_real_critic(exercise):
    """A noisy critic lands between 0 and 1, with the reference value."""
    g = torch.Generator().manual_seed(1)
    returns = torch.randn(64, generator=g) * 5.0
    values = returns * 0.8 + torch.randn(64, generator=g)
    _compare(exercise, values, returns, "a noisy critic")


def test_perfect_and_useless_critics(exercise):
    """A critic equal to the returns scores 1; one that always says the mean scores 0."""
    g = torch.Generator().manual_seed(0)
    returns = torch.randn(64, generator=g) * 5.0 + 3.0
    _compare(exercise, returns.clone(), returns, "a critic that predicts every return exactly")
    _compare(exercise, torch.full((64,), returns.mean().item()), returns,
             "a critic that always predicts the mean return")


def test_no_floor_below_zero(exercise):
    """A critic that predicts the opposite of the returns scores far below 0, not 0."""
    returns = torch.tensor([1.0, -2.0, 3.0, -4.0, 5.0, 0.5])
    _compare(exercise, -returns, returns, "a critic predicting minus the returns (expected -3)")


def test_one_pile_for_any_layout(exercise):
    """A (T, N) rollout is one set of samples; float64 works too."""
    g = torch.Generator().manual_seed(2)
    scale = torch.tensor([1.0, 20.0, 0.1])  # envs with very different returns
    returns = torch.randn(16, 3, generator=g) * scale
    values = returns + torch.randn(16, 3, generator=g)
    _compare(exercise, values, returns, "a (16, 3) rollout")
    _compare(exercise, values.double(), returns.double(), "a float64 (16, 3) rollout")


def test_values_attached_to_the_critic(exercise):
    """Values that carry the critic's graph are fine, and called twice give the same float."""
    g = torch.Generator().manual_seed(3)
    returns = torch.randn(32, generator=g)
    weight = torch.tensor(0.7, requires_grad=True)
    values = returns * weight
    first = _call(exercise, values, returns, "values attached to the critic")
    second = _call(exercise, values, returns, "values attached to the critic, again")
    expect(first == second, f"Two calls gave {first} and then {second}.")
    expect(weight.grad is None, "explained_variance put a gradient into the critic: it is a "
           "number for the log, nothing to backward through.")
    _compare(exercise, values, returns, "values attached to the critic")


def test_no_spread_gives_nan(exercise):
    """Equal returns, or a single sample: NaN, not an error, not inf, not a made-up number."""
    for returns, what in ((torch.full((8,), 2.5), "8 equal returns"),
                          (torch.tensor([4.0]), "a single sample")):
        values = torch.linspace(0.0, 1.0, returns.numel())
        try:
            got = _call(exercise, values, returns, what)
        except ZeroDivisionError:
            fail(f"explained_variance raised ZeroDivisionError for {what}: Var[returns] is 0. "
                 "Return float('nan') in that case, as CleanRL and SB3 do.")
        expect(math.isnan(got), f"explained_variance for {what} is {got!r}; with Var[returns] "
               "= 0 the ratio means nothing, so it should be NaN (float('nan')), not a number "
               "that looks like a score.\n" + CONCEPT)


def _name_threshold(case, got, want):
    """NaN for small-unit returns that do spread: a threshold where the docstring asks for 0."""
    if (isinstance(got, float) and math.isnan(got) and isinstance(want, float)
            and not math.isnan(want)):
        fail(f"explained_variance gave NaN for returns that do spread ({case.label}: their "
             f"std is about {3 * case.axes['unit']:g}, their variance about "
             f"{9 * case.axes['unit'] ** 2:g}). NaN is for returns with no spread at all: a "
             "variance of exactly 0, or every return equal (returns.max() == returns.min()). A "
             "threshold such as var < 1e-8 depends on the returns' unit and calls a small but "
             "real spread none.\n" + CONCEPT)


def test_contract(exercise):
    """A Python float for any layout, float32 or float64, good and broken critics, values
    attached to a graph or not."""
    def inputs(draw):
        shape = {"(B,)": (draw["size"],), "(T, N)": (draw["size"], 4)}[draw["layout"]]
        # Returns in any unit: a spread of 3, or of 1e-5 (variance 1e-10, real spread all
        # the same: no "small enough to be zero" threshold fits every unit).
        unit = draw["unit"]
        returns = draw.randn(*shape, scale=3.0 * unit)
        values = returns * draw["quality"] + draw.randn(*shape, scale=unit)
        if draw["graph"]:
            values = values.requires_grad_() * 1.0
        return Args(values, returns)

    check_contract(Contract(
        function="explained_variance", call=exercise.explained_variance,
        reference=lambda v, r: _reference(v, r), inputs=inputs,
        axes={"size": [2, 16], "layout": ["(B,)", "(T, N)"],
              "dtype": [torch.float32, torch.float64], "quality": [1.0, 0.0, -2.0],
              "graph": [False, True], "unit": [1.0, 1e-5]},
        budget=10, atol=1e-4, rtol=1e-4, tolerance={torch.float64: (1e-6, 1e-5)},
        diagnose=_name_threshold, concept=CONCEPT))

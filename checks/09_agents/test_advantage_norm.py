"""Check: per-minibatch advantage normalisation: one mean, one std, and the minibatch of one."""

import torch

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "A_norm = (A - A.mean()) / (A.std() + eps): one mean and one std over EVERY element of the "
    "minibatch, whatever its shape; std is torch's default (n - 1), as in CleanRL and SB3."
)


def _reference(a, eps=1e-8, correction=1):
    a = a.double()
    return (a - a.mean()) / (a.std(correction=correction) + eps)


def _per_dim(a, dim, eps=1e-8):
    a = a.double()
    return (a - a.mean(dim, keepdim=True)) / (a.std(dim, keepdim=True) + eps)


def _run(exercise, advantages, what, *, eps=1e-8):
    before = advantages.clone()
    try:
        out = exercise.normalize_advantages(advantages, eps)
    except ValueError as error:
        fail(f"normalize_advantages refused {what}, shape {tuple(advantages.shape)}, "
             f"{advantages.numel()} samples: {error}. Only fewer than 2 ELEMENTS is too few: "
             "count them with advantages.numel(); len() counts only the first dim.")
    expect(torch.equal(advantages, before),
           f"normalize_advantages changed the advantages it was given ({what}). The rollout "
           "still holds them for the next epoch: return a new tensor instead of working in "
           "place (no -=, /=, sub_).")
    expect_tensor(out, name=f"the normalised advantages ({what})", shape=tuple(advantages.shape),
                  dtype=advantages.dtype, finite=True,
                  concept="Normalising keeps the minibatch's shape and dtype. " + CONCEPT)
    want = _reference(advantages, eps)
    got = out.detach().double()
    if not torch.allclose(got, want, atol=1e-5, rtol=1e-5):
        if torch.allclose(got, _reference(advantages, eps, correction=0), atol=1e-5, rtol=1e-5):
            fail(f"The normalised advantages ({what}) divide by the population std (divide by n, "
                 "NumPy's np.std and Spinning Up's choice). This exercise uses torch's default, "
                 "A.std(), with Bessel's correction (divide by n - 1), as CleanRL and SB3 do.")
        for dim in range(advantages.dim() if advantages.dim() > 1 else 0):
            if torch.allclose(got, _per_dim(advantages, dim, eps), atol=1e-5, rtol=1e-5):
                fail(f"The normalised advantages ({what}) were normalised along dim {dim} only: "
                     f"one mean and std per {'column' if dim == 0 else 'row'}. A minibatch is "
                     "one pile of samples: take A.mean() and A.std() over all elements (no dim).")
        centred = advantages.double() - advantages.double().mean()
        if torch.allclose(got, centred, atol=1e-5, rtol=1e-5):
            fail(f"The normalised advantages ({what}) were centred but not divided by the std.\n"
                 + CONCEPT)
    expect_tensor(out, name=f"the normalised advantages ({what})", values=want, atol=1e-5,
                  concept=CONCEPT)
    return out


def test_flat_minibatch(exercise):
    """A (B,) minibatch comes back with mean 0 and std 1, as a new tensor."""
    g = torch.Generator().manual_seed(0)
    advantages = torch.randn(16, generator=g) * 3.0 + 2.0
    for call in ("first call", "second call on the same tensor"):
        _run(exercise, advantages, f"a (16,) minibatch, {call}")


def test_two_dim_minibatch_uses_one_mean(exercise):
    """A (T, N) minibatch is normalised as one pile, not per env or per step."""
    g = torch.Generator().manual_seed(1)
    scale = torch.tensor([1.0, 10.0, 0.5])  # envs with very different advantages
    advantages = torch.randn(8, 3, generator=g) * scale + torch.tensor([0.0, 5.0, -2.0])
    _run(exercise, advantages, "an (8, 3) minibatch")


def test_one_row_minibatch_is_enough(exercise):
    """A (1, N) minibatch holds N samples: it is normalised, not refused (count elements)."""
    g = torch.Generator().manual_seed(4)
    _run(exercise, torch.randn(1, 6, generator=g) * 2.0 + 1.0,
         "a one-row minibatch")


def test_dtype_kept(exercise):
    """A float64 minibatch stays float64."""
    g = torch.Generator().manual_seed(2)
    _run(exercise, torch.randn(32, generator=g, dtype=torch.float64) * 50.0,
         "a float64 minibatch")


def test_smallest_and_largest(exercise):
    """Two samples give -0.707 and +0.707; big advantages are fine too."""
    _run(exercise, torch.tensor([1.0, 3.0]),
         "the minibatch [1, 3]: expected [-0.7071, 0.7071] with torch's n - 1 std")
    g = torch.Generator().manual_seed(3)
    _run(exercise, torch.randn(64, generator=g) * 1e4 - 3e4, "advantages of size 1e4")


def test_tiny_spread_stays_bounded(exercise):
    """eps makes the denominator larger, never smaller: a tiny spread stays bounded."""
    d = 1.5e-8 / 2**0.5  # two samples whose std (n - 1) is 1.5e-8, just above eps = 1e-8
    advantages = torch.tensor([-d, d], dtype=torch.float64)
    out = exercise.normalize_advantages(advantages, 1e-8)
    expect_tensor(out, name="the normalised advantages of [-1.06e-8, 1.06e-8]", shape=(2,),
                  dtype=torch.float64, finite=True, concept=CONCEPT)
    expect(bool((out.abs() <= 1.0 + 1e-9).all()),
           f"Normalising two advantages with a std of 1.5e-8 gave {out.tolist()}; dividing by "
           "std + eps can only give values of size 1 or less for two samples. eps must ADD to "
           "the std (or to the variance under a square root), never be subtracted.\n" + CONCEPT)


def test_equal_advantages_give_zeros(exercise):
    """Equal advantages with an exact mean (2.5): eps keeps the result a clean 0, not NaN."""
    advantages = torch.full((16,), 2.5)
    out = exercise.normalize_advantages(advantages, 1e-8)
    expect_tensor(out, name="the normalised advantages of 16 equal values", shape=(16,),
                  finite=True, values=torch.zeros(16), atol=1e-6,
                  concept="With no spread (and a mean that float32 gets exactly) A - mean "
                  "is 0 and std is 0: only the eps in the "
                  "denominator keeps 0 / 0 from becoming NaN. " + CONCEPT)


def _expect_refused(exercise, shape):
    advantages = torch.full(shape, 1.5)
    try:
        out = exercise.normalize_advantages(advantages, 1e-8)
    except ValueError as error:
        expect(str(error).strip(), "The ValueError should say what is wrong and what to do "
               "(e.g. use minibatches of at least 2 samples); its message is empty.")
        return
    except Exception as error:  # any other kind is the mistake to name
        other = error
    else:
        other = None
    if other is not None:
        kind = type(other).__name__
        fail(f"Expected ValueError, got {kind} ({other}) for a minibatch of shape {shape}. "
             + ("An assert is for the programmer's own bugs and vanishes under python -O; a "
                "caller's bad input gets `raise ValueError(\"...\")`."
                if isinstance(other, AssertionError) else
                "Check advantages.numel() first and `raise ValueError(\"...\")` when it is "
                "below 2."))
    shown = out.tolist() if isinstance(out, torch.Tensor) else out
    fail(f"normalize_advantages returned {shown!r} for a minibatch of shape {shape}. With "
         "fewer than 2 samples there is no spread: the n - 1 std is NaN (0 / 0) and PPO's "
         "gradient would be NaN, or zero with the population std. Check advantages.numel() "
         "(not len(), which counts rows only) and raise ValueError when it is below 2.")


def test_minibatch_of_one_is_refused(exercise):
    """Fewer than two advantages, shapes (1,), (1, 1) and (0,): a ValueError that says why."""
    for shape in ((1,), (1, 1), (0,)):
        _expect_refused(exercise, shape)


def test_question_one_sample(exercise):
    """What a minibatch of one would give without the guard."""
    expect_choice(
        exercise, "ONE_SAMPLE", correct="nan",
        choices={"nan": "NaN", "zero": "a clean 0", "unchanged": "the advantage unchanged"},
        why="A - mean is 0, and std() divides by n - 1 = 0, so it is NaN (torch warns "
        "'degrees of freedom is <= 0'); 0 / (NaN + eps) is NaN, and NaN in the loss turns "
        "every weight into NaN after one step. With the population std it would be 0 / eps = 0 "
        "instead: no NaN, but no policy gradient at all.",
    )


def test_contract(exercise):
    """One mean and one std over every element, for (B,) and (T, N) minibatches, float32 and
    float64, small and huge advantages; a new tensor, gradients included."""
    def inputs(draw):
        shape = {"(B,)": (draw["size"],), "(T, N)": (draw["size"], 3)}[draw["layout"]]
        return Args(draw.randn(*shape, scale=draw["scale"]).requires_grad_())

    def reference(a):
        # Keeping a graph through attached advantages, or not, is the learner's choice (PPO's
        # loss detaches them anyway): follow theirs, and judge gradients where they keep one.
        try:
            keeps = exercise.normalize_advantages(a.detach().clone().requires_grad_()
                                                  ).requires_grad
        except Exception:  # noqa: BLE001  (the harness's own call reports it)
            keeps = True
        result = (a - a.mean()) / (a.std() + 1e-8)
        return result if keeps else result.detach()

    check_contract(Contract(
        function="normalize_advantages", call=exercise.normalize_advantages,
        reference=reference, inputs=inputs,
        axes={"size": [2, 9], "layout": ["(B,)", "(T, N)"],
              "dtype": [torch.float32, torch.float64], "scale": [0.05, 1.0, 1e4]},
        budget=10, atol=1e-4, rtol=1e-4, tolerance={torch.float64: (1e-6, 1e-5)},
        concept=CONCEPT))

"""Check: backward adds into .grad, so each batch's gradient needs a clean start."""

import torch

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor
from torchlings.checkapi.testkit.autograd import call_autograd
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "backward() adds into .grad instead of overwriting it. Clear it before each batch's "
    "backward (w.grad = None, or w.grad.zero_()), as optimizer.zero_grad() does in a "
    "training loop. If the stored gradients are all zero or all alike, the list holds "
    "w.grad itself several times: store a copy (.clone())."
)


def make_batches(count, generator, dim=3, size=8):
    return [
        (torch.randn(size, dim, generator=generator), torch.randn(size, generator=generator))
        for _ in range(count)
    ]


def reference_gradient(w, obs, returns):
    # d/dw mean((obs @ w - returns)^2) = 2/B * obs^T (obs @ w - returns)
    return 2.0 * obs.T @ (obs @ w - returns) / obs.shape[0]


def gradients(exercise, w, batches):
    grads = call_autograd(exercise.per_batch_gradients, w, batches,
                          name="per_batch_gradients(w, batches)")
    expect(isinstance(grads, list) and len(grads) == len(batches),
           f"per_batch_gradients should return a list with one gradient per batch "
           f"({len(batches)}), got {type(grads).__name__}"
           + (f" of length {len(grads)}" if isinstance(grads, (list, tuple)) else "") + ".")
    distinct = {id(g) for g in grads}
    expect(len(distinct) == len(grads),
           "per_batch_gradients returned the same tensor object more than once: that is "
           "w.grad itself, which later backwards (and zero_()) keep changing, so every entry "
           "ends up alike. Store a copy of each batch's gradient: w.grad.clone().")
    return grads


def test_each_batch_on_its_own(exercise):
    """Each batch's gradient is that batch's alone, not the sum of the batches so far."""
    generator = torch.Generator().manual_seed(3)
    w = torch.randn(3, generator=generator)
    batches = make_batches(3, generator)
    grads = gradients(exercise, w, batches)
    for number, (grad, (obs, returns)) in enumerate(zip(grads, batches, strict=True), 1):
        expect_tensor(grad, name=f"the gradient for batch {number}", shape=(3,),
                      dtype=torch.float32, values=reference_gradient(w, obs, returns),
                      atol=1e-5, concept=CONCEPT)


def test_same_batch_twice_does_not_double(exercise):
    """The same batch twice gives the same gradient twice; the second is not doubled."""
    generator = torch.Generator().manual_seed(5)
    w = torch.randn(3, generator=generator)
    (batch,) = make_batches(1, generator)
    grads = gradients(exercise, w, [batch, batch])
    want = reference_gradient(w, *batch)
    first, second = grads
    expect_tensor(first, name="the gradient for the first pass", shape=(3,), values=want,
                  atol=1e-5, concept=CONCEPT)
    expect_tensor(second, name="the gradient for the second pass", shape=(3,))
    expect(not torch.allclose(second, 2 * want, atol=1e-5),
           "The second pass over the same batch gave twice the gradient of the first: the "
           "second backward added onto what the first left in w.grad.\n" + CONCEPT)
    expect_tensor(second, name="the gradient for the second pass", values=want, atol=1e-5,
                  concept=CONCEPT)


def test_answer(exercise):
    """The question: what do two accumulated half-batch backwards leave in w.grad?"""
    expect_choice(
        exercise, "ANSWER", correct="b",
        choices={"a": "the same gradient", "b": "twice that gradient",
                 "c": "half that gradient"},
        why="The two backwards add up: the gradient of (mean over half 1) + (mean over "
            "half 2) is twice that of the mean over all 64. To accumulate pieces on purpose, "
            "divide each piece's loss by the number of pieces.",
    )


def test_callers_weights_untouched(exercise):
    """The caller's w keeps requires_grad=False and no .grad, and a second call agrees."""
    generator = torch.Generator().manual_seed(8)
    w = torch.randn(3, generator=generator)
    batches = make_batches(2, generator)
    inputs = InputSnapshot(w=w)
    first = gradients(exercise, w, batches)
    inputs.expect_untouched(function="per_batch_gradients",
                            concept="per_batch_gradients works on its own leaf copy of w.")
    second = gradients(exercise, w, batches)
    for number, (a, b) in enumerate(zip(first, second, strict=True), 1):
        expect_tensor(b, name=f"the gradient for batch {number}, second call", values=a,
                      atol=1e-6, concept="Calling the function again must give the same "
                      "gradients: nothing may be left over from the first call. " + CONCEPT)


def test_contract(exercise):
    """Each batch's own gradient, for any number of batches and sizes, in float32 and float64,
    whether the caller's w is fresh or already holds a .grad."""
    def reference(w, batches):
        w = w.detach().clone().requires_grad_()
        return [torch.autograd.grad(((obs @ w - returns) ** 2).mean(), w)[0]
                for obs, returns in batches]

    def inputs(draw):
        dim = draw["dim"]
        w = draw.randn(dim).requires_grad_()
        if draw["w"] == "used":
            w.grad = draw.randn(dim)
        batches = [(draw.randn(size, dim), draw.randn(size)) for size in draw["sizes"]]
        return Args(w, batches)

    check_contract(Contract(
        function="per_batch_gradients", call=exercise.per_batch_gradients,
        reference=reference, inputs=inputs,
        axes={"dim": [1, 3], "sizes": [(1,), (4, 1, 7)], "w": ["fresh", "used"],
              "dtype": [torch.float32, torch.float64]},
        budget=8,
        concept=CONCEPT + " Clearing means w.grad = None (or zeroing a .grad that exists): a "
                "zeros tensor you make yourself must have w's dtype and device."))

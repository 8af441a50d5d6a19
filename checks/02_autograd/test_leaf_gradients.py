"""Check: gradients that autograd stores on leaf tensors."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.autograd import backward_passes
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT_CUBIC = (
    "d/dx (x^3 + 2x) = 3x^2 + 2, which is 29 at x = 3. Create x with requires_grad=True, "
    "call y.backward(), then read x.grad."
)


def test_cubic_gradient_at_three(exercise):
    """y = x^3 + 2x has slope 29 at x = 3."""
    grad = exercise.cubic_gradient(3.0)
    expect_tensor(grad, name="the gradient of y at x = 3", shape=(), values=29.0,
                  concept=CONCEPT_CUBIC)


def test_cubic_gradient_elsewhere(exercise):
    """The gradient comes from autograd, not from a hard-coded 29 or a formula."""
    for x in (-2.0, 0.0, 1.5):
        with backward_passes() as passes:
            grad = exercise.cubic_gradient(x)
        expect_tensor(grad, name=f"the gradient of y at x = {x}", shape=(),
                      values=3 * x**2 + 2, concept=CONCEPT_CUBIC)
        _expect_autograd_ran(passes, f"cubic_gradient({x})")


def _expect_autograd_ran(passes: list[str], call: str) -> None:
    expect(
        bool(passes),
        f"{call} returned the right numbers without a backward pass: the derivative was "
        "worked out by hand. Here the point is to let autograd find it: make the input "
        "track gradients, compute y from it, call y.backward() and return the .grad. "
        "(A formula stops being right the moment the function changes; autograd does not.)",
    )



def test_linear_gradients_values(exercise):
    """For y = w.x + b: dy/dw = x, dy/dx = w, dy/db = 1."""
    generator = torch.Generator().manual_seed(7)
    w = torch.randn(5, generator=generator)
    x = torch.randn(5, generator=generator)
    b = torch.randn((), generator=generator)
    grads = exercise.linear_gradients(w, x, b)
    assert isinstance(grads, tuple) and len(grads) == 3, (
        "linear_gradients should return a tuple of three tensors: (dy/dw, dy/dx, dy/db)"
    )
    dw, dx, db = grads
    concept = ("y = w.x + b changes by x[i] per unit of w[i] and by w[i] per unit of x[i], "
               "so dy/dw = x and dy/dx = w. Swapped? Check which .grad you return first.")
    expect_tensor(dw, name="dy/dw", shape=(5,), values=x, concept=concept)
    expect_tensor(dx, name="dy/dx", shape=(5,), values=w, concept=concept)
    expect_tensor(db, name="dy/db", shape=(), values=1.0,
                  concept="b is added once, so y moves one-for-one with b: dy/db = 1.")


def test_linear_gradients_leave_inputs_alone(exercise):
    """The caller's w, x and b are not switched to requires_grad and get no .grad."""
    generator = torch.Generator().manual_seed(9)
    w, x = torch.randn(4, generator=generator), torch.randn(4, generator=generator)
    b = torch.randn((), generator=generator)
    inputs = InputSnapshot(w=w, x=x, b=b)
    first = exercise.linear_gradients(w, x, b)
    inputs.expect_untouched(function="linear_gradients",
                            concept="Make leaf copies that track gradients, as the docstring says: "
                     "t.detach().clone().requires_grad_().")
    second = exercise.linear_gradients(w, x, b)
    for name, a, c in zip(("dy/dw", "dy/dx", "dy/db"), first, second, strict=True):
        expect_tensor(c, name=f"{name} on a second call", values=a, atol=1e-6,
                      concept="A second call must give the same gradients, not add onto "
                      "the first call's.")


def test_linear_gradients_of_trainable_inputs(exercise):
    """Inputs that already require grad (a network's weights) work too, and stay untouched."""
    generator = torch.Generator().manual_seed(10)
    w = torch.randn(3, generator=generator).requires_grad_()
    x = torch.randn(3, generator=generator).requires_grad_()
    b = torch.randn((), generator=generator).requires_grad_()
    inputs = InputSnapshot(w=w, x=x, b=b)
    grads = exercise.linear_gradients(w, x, b)
    expect(isinstance(grads, tuple) and len(grads) == 3,
           "linear_gradients should return a tuple of three tensors: (dy/dw, dy/dx, dy/db)")
    concept = ("A clone of a tensor that requires grad is not a leaf: it is computed from the "
               "original, so backward stores nothing in its .grad and flows on into the "
               "caller's tensor. detach() first, then clone: t.detach().clone().requires_grad_().")
    for name, grad, want in zip(("dy/dw", "dy/dx", "dy/db"), grads, (x, w, 1.0), strict=True):
        expect(grad is not None, f"{name} is None for inputs that require grad.\n" + concept)
        expect_tensor(grad, name=f"{name} for inputs that require grad", values=want,
                      atol=1e-6, concept=concept)
    inputs.expect_untouched(function="linear_gradients", concept=concept)


def _linear_inputs(draw):
    n = draw["n"]
    w, x, b = draw.randn(n), draw.randn(n), draw.randn()
    if draw["inputs"] != "plain":  # a network's weights: they track gradients
        for t in (w, x, b):
            t.requires_grad_()
            if draw["inputs"] == "with a .grad already":
                t.grad = torch.ones_like(t)
    return Args(w, x, b)


def test_gradients_contract(exercise):
    """Any x, any length, float64, any device, plain inputs, trainable ones, ones with a .grad."""
    check_contract(Contract(
        function="cubic_gradient", call=exercise.cubic_gradient,
        reference=lambda x: torch.tensor(3 * x**2 + 2.0),
        inputs=lambda draw: Args(draw["x"]), axes={"x": [-40.5, -1.0, 0.0, 0.25, 7.0]},
        concept=CONCEPT_CUBIC))
    check_contract(Contract(
        function="linear_gradients", call=exercise.linear_gradients,
        reference=lambda w, x, b: (x.detach().clone(), w.detach().clone(),
                                   torch.ones_like(b.detach())),
        inputs=_linear_inputs,
        axes={"n": [1, 6], "dtype": [torch.float32, torch.float64], "device": ["cpu", "meta"],
              "inputs": ["plain", "trainable", "with a .grad already"]},
        concept="The gradients are autograd's, of leaf copies with the inputs' own dtype and "
                "device: t.detach().clone().requires_grad_(). A copy rebuilt from .tolist() "
                "or .item() is float32 on the CPU whatever the input was."))

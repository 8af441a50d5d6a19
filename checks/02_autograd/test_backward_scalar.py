"""Check: backward() on a vector needs a reduction (sum) or gradient=."""

import torch

from torchlings.checkapi.testing import expect_tensor
from torchlings.checkapi.testkit.autograd import call_autograd
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "Each y[i] = f(x[i]) depends on x[i] alone, so the gradient of y.sum() at x[i] is "
    "f'(x[i]). Reducing with .mean() instead divides every gradient by the number of "
    "elements; backward on one element y[0] gives a gradient to x[0] only."
)


def derivative(exercise, f, x, label):
    return call_autograd(
        exercise.elementwise_derivative, f, x, name=f"elementwise_derivative({label}, x)"
    )


def test_sum_of_x_gives_ones(exercise):
    """For f(x) = x, the gradient of the sum of x is all ones."""
    x = torch.tensor([0.5, -1.0, 2.0, 3.0, -4.5])
    grad = derivative(exercise, lambda t: t, x, "identity")
    expect_tensor(grad, name="the gradient of x.sum() with respect to x", shape=(5,),
                  dtype=torch.float32, values=torch.ones(5), concept=CONCEPT)


def test_square_on_a_matrix(exercise):
    """For f(x) = x**2 the derivative is 2x, element by element, on a 2-D x too."""
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    grad = derivative(exercise, lambda t: t**2, x, "lambda t: t**2")
    expect_tensor(grad, name="the derivative of x**2", shape=(3, 4), dtype=torch.float32,
                  values=2 * x, atol=1e-5, concept=CONCEPT)


def test_sine(exercise):
    """For f = torch.sin the derivative is cos(x): autograd did the work, not a formula."""
    x = torch.linspace(-3.0, 3.0, 7)
    grad = derivative(exercise, torch.sin, x, "torch.sin")
    expect_tensor(grad, name="the derivative of sin(x)", shape=(7,), dtype=torch.float32,
                  values=torch.cos(x), atol=1e-5, concept=CONCEPT)


def test_single_number_x(exercise):
    """A 0-d x (one number) works too: the result is 0-d, cos(x) for sin."""
    x = torch.tensor(0.7)
    grad = derivative(exercise, torch.sin, x, "torch.sin")
    expect_tensor(grad, name="the derivative of sin at the 0-d x = 0.7", shape=(),
                  dtype=torch.float32, values=torch.cos(x), atol=1e-6,
                  concept="Shaped like x, whatever its shape: y.sum() (or "
                  "gradient=torch.ones_like(y)) works for a single number as well. " + CONCEPT)


def test_callers_x_untouched(exercise):
    """The caller's x gets no requires_grad and no .grad; calling twice gives the same answer."""
    x = torch.tensor([1.0, -0.5, 2.0])
    inputs = InputSnapshot(x=x)
    derivative(exercise, lambda t: t**2, x, "lambda t: t**2")
    inputs.expect_untouched(function="elementwise_derivative",
                            concept="Differentiate a leaf copy: x.detach().clone().requires_grad_().")
    second = derivative(exercise, lambda t: t**2, x, "lambda t: t**2")
    expect_tensor(second, name="the derivative of x**2 on a second call", shape=(3,),
                  values=2 * x, atol=1e-6,
                  concept="A second call must not add onto the first call's gradient.")


FUNCTIONS = {"sin": torch.sin, "square": lambda t: t**2, "tanh": torch.tanh}


def test_contract(exercise):
    """The derivative is right, shaped and typed like x, for any shape, float64, and on any
    device (tried on PyTorch's meta device, which has no values, only shapes and devices)."""
    def reference(f, x):
        x = x.detach().clone().requires_grad_()
        (grad,) = torch.autograd.grad(f(x), x, grad_outputs=torch.ones_like(x))
        return grad

    def inputs(draw):
        shape = {"vector": (5,), "matrix": (3, 4), "one number": ()}[draw["shape"]]
        return Args(FUNCTIONS[draw["f"]], draw.randn(*shape))

    check_contract(Contract(
        function="elementwise_derivative", call=exercise.elementwise_derivative,
        reference=reference, inputs=inputs,
        axes={"f": list(FUNCTIONS), "shape": ["vector", "matrix", "one number"],
              "dtype": [torch.float32, torch.float64], "device": ["cpu", "meta"]},
        budget=10,
        concept=CONCEPT + " Anything you create for it (torch.ones_like(y)) must follow y's "
                "dtype and device: torch.ones(y.shape) is a float32 tensor on the CPU."))

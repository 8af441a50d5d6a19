"""backward() needs one number.

`y.backward()` answers the question "how does y change when each leaf
changes?". That question has one answer per leaf only when y is a single
number (a 0-dim tensor). When y holds many numbers, PyTorch refuses with
"grad can be implicitly created only for scalar outputs": it does not guess
how you want the elements combined.

There are two ways to say it. Reduce y to one number first:
`y.sum().backward()`. If y = f(x) works element by element, y[i] depends on
x[i] alone, so d(sum of y)/dx[i] is exactly f'(x[i]). For f(x) = x the sum
of x has gradient all ones: every element counts once. Or pass the weights
yourself: `y.backward(gradient=torch.ones_like(y))` weighs every element by
one, which is the same thing as summing.

Why RL cares: a batch of TD errors or of per-step policy-gradient terms is a
vector, one number per transition. The loss you call backward on must be
reduced to one number first, and the reduction you pick scales every
gradient: `.mean()` divides by the batch size, `.sum()` does not.

Your job: make `elementwise_derivative` return f'(x) at every element of x,
computed by autograd.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

from collections.abc import Callable

import torch


def elementwise_derivative(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """Return the derivative of f at every element of x, as a tensor shaped like x.

    f works element by element and returns a tensor of x's shape: torch.sin,
    `lambda t: t**2`, `lambda t: t`.
    """
    x = x.detach().clone().requires_grad_()
    y = f(x)
    # TODO: y has one value per element of x, but backward needs one number.
    y.backward()
    return x.grad

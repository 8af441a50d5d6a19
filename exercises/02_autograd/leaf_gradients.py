"""Gradients on leaf tensors.

Autograd records every operation on a tensor that has `requires_grad=True`.
Calling `.backward()` on a scalar result walks that record backwards and
stores d(result)/d(tensor) in the `.grad` attribute of each *leaf*: a tensor
you created yourself, as opposed to one computed from others.

Two things trip people up. First, a tensor only collects a gradient if it was
created with `requires_grad=True` (or had `.requires_grad_()` called on it).
Second, `.grad` is filled in on leaves only: an intermediate result such as
`y = x * 2` has `y.grad is None` after backward, however much you want it.

Why RL cares: every policy or value update is this mechanism applied to a
network's weights, which are leaves. When a gradient is silently None, the
network silently does not learn.

Your job: fill in the two functions so they return the gradients that
autograd computes. Do not work the derivatives out by hand.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def cubic_gradient(x_value: float) -> torch.Tensor:
    """Return dy/dx of y = x**3 + 2*x at x = x_value, computed by autograd.

    The result is the `.grad` of the leaf tensor x: a 0-dim float tensor.
    """
    x = torch.tensor(x_value)  # TODO: autograd must track x
    y = x**3 + 2 * x
    # TODO: run backward on y, then return the gradient stored on x
    raise NotImplementedError("compute y's gradient with respect to x")


def linear_gradients(
    w: torch.Tensor, x: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For y = w . x + b (w and x 1-D, b a scalar), return (dy/dw, dy/dx, dy/db).

    Make leaf copies that track gradients (`t.detach().clone().requires_grad_()`),
    compute y from them, call backward, and return the three `.grad` tensors.
    """
    # TODO
    raise NotImplementedError("return the gradients of y = w . x + b")

"""Gradients on leaf tensors: reference solution."""

import torch


def cubic_gradient(x_value: float) -> torch.Tensor:
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return x.grad


def linear_gradients(
    w: torch.Tensor, x: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    w = w.detach().clone().requires_grad_()
    x = x.detach().clone().requires_grad_()
    b = b.detach().clone().requires_grad_()
    y = torch.dot(w, x) + b
    y.backward()
    return w.grad, x.grad, b.grad

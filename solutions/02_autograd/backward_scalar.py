"""backward() needs one number: reference solution."""

from collections.abc import Callable

import torch


def elementwise_derivative(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    x = x.detach().clone().requires_grad_()
    y = f(x)
    y.sum().backward()
    return x.grad

"""torch.compile: reference solution."""

from collections.abc import Callable

import torch
from torch import nn


def compile_model(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    return torch.compile(model)


def outputs_match(eager: torch.Tensor, compiled: torch.Tensor) -> bool:
    return torch.allclose(eager, compiled, rtol=1e-5, atol=1e-6)


def eager_and_compiled(
    model: nn.Module, obs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    model.eval()
    compiled = compile_model(model)
    with torch.no_grad():
        return model(obs), compiled(obs)

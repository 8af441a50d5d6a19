"""RL rollout shapes: reference solution."""

from collections.abc import Callable

import torch


def flatten_time(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(0, 1)


def unflatten_time(y: torch.Tensor, batch_size: int, steps: int) -> torch.Tensor:
    return y.reshape(batch_size, steps, *y.shape[1:])


def values_per_step(
    value_net: Callable[[torch.Tensor], torch.Tensor], obs: torch.Tensor
) -> torch.Tensor:
    B, T = obs.shape[:2]
    values = value_net(flatten_time(obs))
    return unflatten_time(values.squeeze(-1), B, T)

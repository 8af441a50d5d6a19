"""Creating tensors: reference solution."""

import torch


def reward_buffer(n_envs: int, n_steps: int) -> torch.Tensor:
    return torch.zeros(n_envs, n_steps)


def observation(values: list) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def action_ids(n_actions: int) -> torch.Tensor:
    return torch.arange(n_actions)


def exploration_noise(shape: tuple, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator)


def ones_on(shape: tuple, device: torch.device) -> torch.Tensor:
    return torch.ones(shape, device=device)

"""Epsilon-greedy: reference solution."""

import torch


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, generator: torch.Generator) -> int:
    n_actions = q_values.shape[0]
    if torch.rand((), generator=generator).item() < epsilon:
        return int(torch.randint(n_actions, (), generator=generator).item())
    return int(q_values.argmax().item())

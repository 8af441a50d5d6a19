"""Indexing, slicing, masks and gather: reference solution."""

import torch


def pole_state(obs: torch.Tensor) -> torch.Tensor:
    return obs[:, 2:4]


def last_steps(rewards: torch.Tensor, k: int) -> torch.Tensor:
    return rewards[:, -k:]


def terminal_rewards(rewards: torch.Tensor, dones: torch.Tensor) -> torch.Tensor:
    return rewards[dones]


def chosen_q_values(q_values: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    return q_values.gather(1, actions.unsqueeze(1)).squeeze(1)

"""The SAC critic target: reference solution."""

import torch
from torch import nn


def sac_critic_target(
    actor: nn.Module,
    q1_target: nn.Module,
    q2_target: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    dones: torch.Tensor,
    alpha: float | torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    with torch.no_grad():
        next_actions, next_log_pi = actor(next_obs)
        q1 = q1_target(next_obs, next_actions)
        q2 = q2_target(next_obs, next_actions)
        soft_value = torch.min(q1, q2) - alpha * next_log_pi
        return rewards + gamma * (1.0 - dones) * soft_value

"""The Double DQN target: reference solution."""

import torch
from torch import nn


def double_dqn_target(
    online: nn.Module,
    target: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    with torch.no_grad():
        next_actions = online(next_obs).argmax(dim=1, keepdim=True)
        next_q = target(next_obs).gather(1, next_actions).squeeze(1)
        return rewards + gamma * (1.0 - dones) * next_q

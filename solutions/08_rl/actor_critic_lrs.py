"""Separate learning rates for the actor and the critic: reference solution."""

import torch
from torch import nn


def make_optimizer(
    actor: nn.Module, critic: nn.Module, actor_lr: float, critic_lr: float
) -> torch.optim.Optimizer:
    return torch.optim.Adam([
        {"params": actor.parameters(), "lr": actor_lr},
        {"params": critic.parameters(), "lr": critic_lr},
    ])

"""The dueling head: Q = V + A - mean(A). Solution."""

import torch
from torch import nn


def dueling_q(value: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    return value + advantages - advantages.mean(dim=-1, keepdim=True)


class DuelingQNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU())
        self.value_head = nn.Linear(hidden, 1)
        self.advantage_head = nn.Linear(hidden, n_actions)

    def streams(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(obs)
        return self.value_head(features), self.advantage_head(features)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return dueling_q(*self.streams(obs))

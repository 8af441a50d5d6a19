"""A policy network: logits, and probabilities by a softmax over the actions. Solution."""

import torch
from torch import nn


class PolicyNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.Tanh(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)

    def action_probs(self, obs: torch.Tensor) -> torch.Tensor:
        logits = self(obs)
        return torch.softmax(logits, dim=-1)

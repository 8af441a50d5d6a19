"""Parameters vs buffers: what the optimizer trains and what state_dict saves. Solution."""

import torch
from torch import nn


class NormalizedQHead(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int) -> None:
        super().__init__()
        self.linear = nn.Linear(obs_dim, n_actions)
        self.register_buffer("obs_mean", torch.zeros(obs_dim))
        self.register_buffer("obs_std", torch.ones(obs_dim))

    def set_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        with torch.no_grad():
            self.obs_mean.copy_(mean)
            self.obs_std.copy_(std)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.linear((obs - self.obs_mean) / self.obs_std)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())

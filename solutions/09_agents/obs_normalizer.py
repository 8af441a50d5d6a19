"""A running observation normaliser kept in buffers: reference solution."""

import torch
from torch import nn


class ObsNormalizer(nn.Module):
    def __init__(self, obs_dim: int, eps: float = 1e-8, clip: float | None = None) -> None:
        super().__init__()
        self.eps = eps
        self.clip = clip
        self.register_buffer("mean", torch.zeros(obs_dim))
        self.register_buffer("var", torch.ones(obs_dim))
        self.register_buffer("count", torch.tensor(0.0))

    @torch.no_grad()
    def update(self, obs: torch.Tensor) -> None:
        batch_mean = obs.mean(dim=0)
        batch_var = obs.var(dim=0, correction=0)
        n = obs.shape[0]
        delta = batch_mean - self.mean
        total = self.count + n
        new_mean = self.mean + delta * n / total
        m2 = self.var * self.count + batch_var * n + delta**2 * self.count * n / total
        self.mean.copy_(new_mean)
        self.var.copy_(m2 / total)
        self.count.fill_(total)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            if self.training:
                self.update(obs)
            normalized = (obs - self.mean) / torch.sqrt(self.var + self.eps)
            if self.clip is not None:
                normalized = normalized.clamp(-self.clip, self.clip)
        return normalized

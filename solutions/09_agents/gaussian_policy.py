"""A Gaussian policy for continuous actions: reference solution."""

import torch
from torch import nn
from torch.distributions import Normal


class GaussianPolicy(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.mean_net = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, act_dim)
        )
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def distribution(self, obs: torch.Tensor) -> Normal:
        mean = self.mean_net(obs)
        return Normal(mean, self.log_std.exp().expand_as(mean))

    def log_prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self.distribution(obs).log_prob(actions).sum(dim=-1)

    def entropy(self, obs: torch.Tensor) -> torch.Tensor:
        return self.distribution(obs).entropy().sum(dim=-1)

    def sample(self, obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.distribution(obs).sample()

    def rsample(self, obs: torch.Tensor) -> torch.Tensor:
        return self.distribution(obs).rsample()

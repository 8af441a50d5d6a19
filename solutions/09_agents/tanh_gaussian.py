"""The tanh-squashed Gaussian of the SAC actor: reference solution."""

import math

import torch
import torch.nn.functional as F
from torch.distributions import Normal


def tanh_log_prob(u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    gaussian = Normal(mean, log_std.exp()).log_prob(u)
    log_det = 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))
    return (gaussian - log_det).sum(dim=-1)


def sample_squashed(
    mean: torch.Tensor, log_std: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    u = Normal(mean, log_std.exp()).rsample()
    return torch.tanh(u), tanh_log_prob(u, mean, log_std)

"""Broadcasting, and the (B,) vs (B, 1) trap: reference solution."""

import torch


def add_bias(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    return x + bias


def weight_rows(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return x * weights.unsqueeze(1)


def td_errors(q_taken: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return targets - q_taken.squeeze(1)


def td_loss(q_taken: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (td_errors(q_taken, targets) ** 2).mean()

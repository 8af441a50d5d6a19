"""SAC's temperature loss: reference solution."""

import torch


def sac_alpha_loss(
    log_alpha: torch.Tensor, log_pi: torch.Tensor, action_dim: int
) -> torch.Tensor:
    target_entropy = -float(action_dim)
    return -(log_alpha * (log_pi + target_entropy).detach()).mean()

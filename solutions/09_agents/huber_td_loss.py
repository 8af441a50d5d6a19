"""DQN's Huber TD loss: reference solution."""

import torch
import torch.nn.functional as F


def huber_td_loss(
    q_values: torch.Tensor, actions: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    return F.smooth_l1_loss(q_taken, targets.detach())

"""Names the loss a learner brought from a library when it explains a wrong MSE.

Used by the value-loss checks of chapter 8: a wrong number alone says little,
but a value that matches the Huber loss, half the MSE, the sum of squares or a
(B, B) broadcast says exactly which habit to drop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["loss_habit"]


def loss_habit(actual: float, pred: torch.Tensor, target: torch.Tensor, *,
               atol: float = 1e-5) -> str:
    """A sentence naming the library habit that explains `actual` instead of MSE, or ""."""
    pred, target = pred.detach().double(), target.detach().double()
    candidates = {
        "Huber": (F.smooth_l1_loss(pred, target).item(),
                  "That is the Huber loss (F.smooth_l1_loss), which SB3's DQN and the PyTorch "
                  "DQN tutorial use; this exercise asks for the plain mean-squared error, "
                  "F.mse_loss."),
        "half": ((0.5 * (pred - target) ** 2).mean().item(),
                 "That is half the MSE (0.5 * mean square, as SB3's SAC writes it); this "
                 "exercise asks for the plain mean-squared error, without the 0.5."),
        "sum": (((pred - target) ** 2).sum().item(),
                "That is the SUM of squared errors; the loss is their mean."),
        "broadcast": (((pred.unsqueeze(-1) - target) ** 2).mean().item(),
                      "That is the MSE over a (B, B) table: a (B, 1) column met a (B,) vector "
                      "and broadcast. Make both (B,) first."),
    }
    for value, story in candidates.values():
        if abs(actual - value) <= atol + 1e-5 * abs(value):
            return story
    return ""

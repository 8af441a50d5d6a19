"""Tests for torchlings.checkapi.testkit.losses: loss_habit names the habit behind a wrong MSE."""

import pytest
import torch
import torch.nn.functional as F

from torchlings.checkapi.testkit.losses import loss_habit

PRED = torch.tensor([0.0, 2.0, -3.0, 0.5])
TARGET = torch.tensor([1.5, 0.0, 0.0, 0.4])


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (F.smooth_l1_loss(PRED, TARGET).item(), "Huber"),
        (0.5 * F.mse_loss(PRED, TARGET).item(), "half the MSE"),
        (((PRED - TARGET) ** 2).sum().item(), "SUM of squared errors"),
        (((PRED.unsqueeze(-1) - TARGET) ** 2).mean().item(), "(B, B) table"),
    ],
)
def test_names_each_habit(value, needle):
    assert needle in loss_habit(value, PRED, TARGET)


def test_says_nothing_for_the_right_mse_or_an_unrelated_number():
    assert loss_habit(F.mse_loss(PRED, TARGET).item(), PRED, TARGET) == ""
    assert loss_habit(123.0, PRED, TARGET) == ""

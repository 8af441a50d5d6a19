"""Regression: reference solution."""

import torch
from torch import nn


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    pred = pred.reshape(target.shape)  # (B, 1) -> (B,): no silent (B, B) broadcast
    return ((pred - target) ** 2).mean()


def r2_score(pred: torch.Tensor, target: torch.Tensor) -> float:
    pred = pred.reshape(target.shape)
    residual = ((target - pred) ** 2).sum()
    total = ((target - target.mean()) ** 2).sum()
    return (1 - residual / total).item()


def train_regressor(x: torch.Tensor, y: torch.Tensor, steps: int = 200):
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(steps):
        loss = mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses

"""A loop that makes the loss go down: reference solution."""

import torch
import torch.nn.functional as F


def fit(model, obs, target_q, steps: int = 100) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(obs), target_q)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

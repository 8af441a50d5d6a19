"""Gradient clipping with clip_grad_norm_: reference solution."""

import torch


def clipped_step(model, optimizer, batch, loss_fn, max_norm: float) -> float:
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(total_norm)

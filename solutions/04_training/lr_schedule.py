"""Learning-rate schedules: reference solution."""

import math

import torch


def warmup_cosine(warmup_steps: int, total_steps: int):
    def lr_lambda(t: int) -> float:
        if t < warmup_steps:
            return (t + 1) / warmup_steps
        if t >= total_steps:
            return 0.0
        progress = (t - warmup_steps) / (total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))

    return lr_lambda


def make_scheduler(optimizer, warmup_steps: int, total_steps: int):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup_steps, total_steps))


def train(model, optimizer, scheduler, batches, loss_fn) -> None:
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        scheduler.step()

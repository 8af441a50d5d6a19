"""Learning-rate schedules: warm-up, cosine decay, and when to step.

A fixed learning rate is rarely best. Early on, Adam's running statistics are
still noisy, so a *warm-up* ramps the rate up over the first W steps. Later,
smaller steps settle into a good solution, so a *cosine decay* lowers it
smoothly towards zero by step T.

`torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)` sets the learning
rate to `base_lr * lr_lambda(t)`, where t counts how many times
`scheduler.step()` has been called (t = 0 right after creation). Here the rate
used by optimizer step t (counting from 0) must be base_lr times:

    (t + 1) / W                                   for t < W
    0.5 * (1 + cos(pi * (t - W) / (T - W)))       for W <= t < T
    0                                             for t >= T

Any 0 <= W <= T is allowed: W = 0 is no warm-up at all, W = T a warm-up
straight into 0. So the first update already moves (1/W of the rate, not 0), the rate is
full at t = W - 1 and t = W, then falls to 0 at t = T. Library schedules you
may know differ: Hugging Face's `get_cosine_schedule_with_warmup` warms up with
t / W (its first update uses rate 0), and nanoGPT's `get_lr` uses
(t + 1) / (W + 1) and decays to a `min_lr` instead of 0. Write the one above.

`scheduler.step()` belongs *after* `optimizer.step()`: the optimizer uses the
current rate, then the scheduler moves on to the next. Step the scheduler
first and every update uses the rate meant for the next one; the very first
rate of the schedule is never used.

Why RL cares: PPO and many value-learning setups anneal the learning rate
over training, and large networks warm up. A schedule shifted by one step is
invisible in the code and shows up only as a subtly different agent.

Your job: write the multiplier in `warmup_cosine` and fix the order in `train`.
"""

import math  # noqa: F401 (you will need it)

import torch


def warmup_cosine(warmup_steps: int, total_steps: int):
    """Return lr_lambda(t): the multiplier of the base learning rate at step t."""

    def lr_lambda(t: int) -> float:
        # TODO: the three cases above, with W = warmup_steps and T = total_steps.
        raise NotImplementedError("return the learning-rate multiplier for step t")

    return lr_lambda


def make_scheduler(optimizer, warmup_steps: int, total_steps: int):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup_steps, total_steps))


def train(model, optimizer, scheduler, batches, loss_fn) -> None:
    """One update per (inputs, targets) batch, advancing the schedule once per update."""
    for inputs, targets in batches:
        # TODO: is the scheduler stepped at the right moment?
        scheduler.step()
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()

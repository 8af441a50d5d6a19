"""Gradient clipping with clip_grad_norm_.

One unlucky batch can produce a gradient a hundred times larger than usual,
and a single step along it can wreck weights that took hours to learn.
Clipping by norm caps the size of the step without changing its direction:

    total = sqrt(sum of squares of *all* gradient entries, all parameters together)
    if total > max_norm: multiply every gradient by max_norm / total

`torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)` does exactly
this, in place, and returns `total` as measured *before* clipping (worth
logging: it tells you how often and how hard you clip).

Two details matter. Clipping edits `.grad`, so it goes after `backward()` (the
gradients must exist) and before `step()` (which uses them). And the norm is
one number for all parameters together: clipping each tensor to max_norm on
its own changes the direction and lets the total grow with the number of
tensors.

Why RL cares: value targets in RL are noisy and rewards can spike, so PPO,
A2C and most DQN implementations clip the global gradient norm (0.5 or 10 are
common), and the logged norm is one of the first curves to look at when an
agent diverges.

The PyTorch DQN tutorial uses `clip_grad_value_(params, 100)` instead: that
clamps every gradient *entry* to [-100, 100] on its own, which bends the
direction of the step; it is not the norm clipping asked for here. (CleanRL's
and SB3's `max_grad_norm` is this exercise's clip_grad_norm_.)

Your job: clip in `clipped_step` and return the norm before clipping.
"""

import torch  # noqa: F401 (you will need it)


def clipped_step(model, optimizer, batch, loss_fn, max_norm: float) -> float:
    """One update on `batch` = (inputs, targets) with the global gradient norm capped at max_norm.

    Returns the global gradient norm measured before clipping, as a Python float.
    Every parameter of `model` counts, though the optimizer may hold them in several
    groups, and one the loss never reaches keeps .grad None.
    """
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    # TODO: cap the gradients' global norm at max_norm here, and keep the
    # norm before clipping to return.
    optimizer.step()
    raise NotImplementedError("clip the gradients and return the norm before clipping")

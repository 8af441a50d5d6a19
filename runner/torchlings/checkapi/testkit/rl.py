"""Helpers shared by the deep-RL checks (chapter 8).

Statistical checks draw many samples from the learner's function with a fixed
torch.Generator and compare counts with what the right distribution gives.
The bounds are `sigmas` binomial standard deviations wide (6 by default), so a
correct solution fails by chance less than once in a few hundred million runs,
while the classic mistakes are off by many more standard deviations.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from torchlings.checkapi.testing import expect, fail

__all__ = ["as_action", "binomial_bounds", "expect_frequency"]


def binomial_bounds(trials: int, p: float, sigmas: float = 6.0) -> tuple[float, float]:
    """The range a count of successes with probability p falls in, `sigmas` wide.

    One extra count each side keeps p = 0 and p = 1 (sigma 0) from demanding
    an exact count when floating point rounds a probability a hair off.
    """
    mean = trials * p
    spread = sigmas * math.sqrt(trials * p * (1.0 - p)) + 1.0
    return mean - spread, mean + spread


def expect_frequency(
    count: int, trials: int, p: float, *, name: str, concept: str = "", sigmas: float = 6.0
) -> None:
    """Fail unless `count` out of `trials` is consistent with probability `p`."""
    low, high = binomial_bounds(trials, p, sigmas)
    if not low <= count <= high:
        message = (
            f"{name} came up {count} times in {trials} draws ({count / trials:.3f}); "
            f"with probability {p:.3f} it should come up about {trials * p:.0f} times "
            f"(anything from {math.ceil(max(low, 0))} to {math.floor(min(high, trials))} "
            "is fine)."
        )
        fail(f"{message}\n{concept}" if concept else message, kind="frequency", name=name,
             expected=p, actual=count / trials, trials=trials)


def as_action(value: Any, *, name: str, concept: str = "") -> int:
    """An action index as a Python int: accepts an int or a one-element integer tensor."""
    if isinstance(value, torch.Tensor):
        expect(
            value.numel() == 1 and not value.is_floating_point() and value.dtype != torch.bool,
            f"{name} should be one action index (a Python int, or a 0-dim integer tensor), "
            f"but it is a {value.dtype} tensor of shape {tuple(value.shape)}: {value!r}. "
            "An action is a position in the Q-value tensor, not a Q-value."
            + (f"\n{concept}" if concept else ""),
        )
        return int(value.item())
    expect(
        isinstance(value, int) and not isinstance(value, bool),
        f"{name} should be one action index (a Python int), but it is "
        f"{type(value).__name__} ({value!r}). An action is a position in the Q-value "
        "tensor, not a Q-value." + (f"\n{concept}" if concept else ""),
    )
    return value

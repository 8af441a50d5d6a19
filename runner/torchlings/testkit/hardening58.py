"""Probes for the mistakes that outcome-only checks let through.

Used by the checks of chapters 5, 6 and 8:

- `expect_float` / `expect_int`: a docstring that promises a Python number gets
  one, not a 0-d tensor (a tensor keeps its graph alive in a log, and breaks
  `json.dumps`).
- `Inputs`: a snapshot of the caller's tensors (values, shape, dtype,
  requires_grad, grad_fn, .grad), compared after the call, so in-place edits
  (`unsqueeze_`, `detach_`, `requires_grad_`) are named.
- `loss_habit`: names the loss a learner brought from a library (Huber,
  half-MSE, a (B, B) broadcast) when it explains a wrong MSE value.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchlings.testing import fail

__all__ = ["Inputs", "expect_float", "expect_int", "loss_habit"]


def _with(message: str, concept: str) -> str:
    return f"{message}\n{concept}" if concept else message


def expect_float(value: Any, *, name: str, concept: str = "") -> float:
    """Fail unless `value` is a Python float (an int is not accepted either: say float)."""
    if isinstance(value, float):
        return value
    if isinstance(value, torch.Tensor):
        fail(_with(f"{name} should be a Python float, but it is a {value.dtype} tensor of shape "
                   f"{tuple(value.shape)}. Turn a one-element tensor into a number with "
                   ".item() (or float(...)): a tensor kept in a log holds on to its graph.",
                   concept), kind="type", name=name, expected="float", actual="Tensor")
    fail(_with(f"{name} should be a Python float, but it is {type(value).__name__} "
               f"({value!r}).", concept), kind="type", name=name, expected="float",
         actual=type(value).__name__)


def expect_int(value: Any, *, name: str, concept: str = "") -> int:
    """Fail unless `value` is a Python int (not a bool, not a tensor)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, torch.Tensor):
        fail(_with(f"{name} should be a Python int, but it is a {value.dtype} tensor of shape "
                   f"{tuple(value.shape)}. Use .item() (or int(...)) to turn a one-element "
                   "tensor into a number.", concept), kind="type", name=name, expected="int",
             actual="Tensor")
    fail(_with(f"{name} should be a Python int, but it is {type(value).__name__} ({value!r}).",
               concept), kind="type", name=name, expected="int", actual=type(value).__name__)


class Inputs:
    """What the caller's tensors looked like before a call, to compare with after it."""

    def __init__(self, **tensors: torch.Tensor) -> None:
        self.tensors = tensors
        self.before = {name: self._state(t) for name, t in tensors.items()}

    @staticmethod
    def _state(t: torch.Tensor) -> tuple:
        grad = t.grad.detach().clone() if t.is_leaf and t.grad is not None else None
        return (tuple(t.shape), t.dtype, t.detach().clone(), t.requires_grad, t.grad_fn, grad)

    def expect_unchanged(self, *, function: str, concept: str = "") -> None:
        """Fail naming the first input the call changed, and how."""
        for name, t in self.tensors.items():
            shape, dtype, values, requires_grad, grad_fn, grad = self.before[name]
            how = ""
            if tuple(t.shape) != shape:
                how = (f"its shape went from {shape} to {tuple(t.shape)} (an in-place view such "
                       "as unsqueeze_ / squeeze_; use unsqueeze / squeeze, which return a new "
                       "view)")
            elif t.dtype != dtype:
                how = f"its dtype went from {dtype} to {t.dtype}"
            elif t.requires_grad != requires_grad or t.grad_fn is not grad_fn:
                how = (f"requires_grad went from {requires_grad} to {t.requires_grad} "
                       f"(grad_fn {_fn(grad_fn)} -> {_fn(t.grad_fn)}): detach_() or "
                       "requires_grad_() change the caller's tensor; .detach() returns a new "
                       "one and leaves theirs attached")
            elif not torch.equal(t.detach(), values):
                how = "its values changed (an in-place operation wrote into it)"
            elif t.is_leaf and _grad_changed(t.grad, grad):
                how = "its .grad changed: the function ran backward on the caller's tensor"
            if how:
                fail(_with(f"{function} changed the {name} it was given: {how}. The caller still "
                           "needs them as they were.", concept), kind="side_effect", name=name)


def _grad_changed(now: torch.Tensor | None, before: torch.Tensor | None) -> bool:
    if now is None or before is None:
        return (now is None) != (before is None)
    return not torch.equal(now, before)


def _fn(grad_fn: Any) -> str:
    return "None" if grad_fn is None else type(grad_fn).__name__


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

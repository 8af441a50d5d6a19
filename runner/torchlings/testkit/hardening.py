"""Assertions for the mistakes that outcome-only checks let through (chapters 1-4).

- `expect_py_float` / `expect_py_int`: a docstring that promises a Python
  number is not kept by a 0-d tensor.
- `snapshot` / `expect_untouched`: a function that must leave its inputs alone
  is observed for in-place edits, a switched-on requires_grad and gradients
  left in the caller's `.grad`.
- `watch_optimizers`: a training loop is observed from outside: which
  optimizer objects stepped the model (one rebuilt per update shows up as many)
  and the loss just before each step.
- `scaled_copy`: a network with its weights scaled up, to show whether its
  output is squashed (tanh, sigmoid, softmax, clamp) or free.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from torchlings.testing import expect

__all__ = [
    "OptimizerWatch",
    "Snapshot",
    "expect_py_float",
    "expect_py_int",
    "expect_untouched",
    "scaled_copy",
    "snapshot",
    "watch_optimizers",
]


def _type_story(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {tuple(value.shape)} tensor ({value!r})"[:120]
    return f"{type(value).__name__} ({value!r})"[:120]


def expect_py_float(value: Any, *, name: str, concept: str = "") -> float:
    """`value` must be a Python float (an int is accepted: it is a number too)."""
    ok = isinstance(value, (float, int)) and not isinstance(value, bool)
    expect(
        ok,
        f"{name} should be a plain Python float, but it is {_type_story(value)}. A 0-d "
        "tensor still holds on to its graph and device; .item() (or float(t)) turns it into "
        "a Python number." + (f"\n{concept}" if concept else ""),
        kind="type",
        name=name,
        expected="float",
        actual=type(value).__name__,
    )
    return float(value)


def expect_py_int(value: Any, *, name: str, concept: str = "") -> int:
    """`value` must be a Python int (not a bool, not a tensor)."""
    expect(
        isinstance(value, int) and not isinstance(value, bool),
        f"{name} should be a plain Python int, but it is {_type_story(value)}. .item() "
        "(or int(t)) turns a one-element tensor into a Python number."
        + (f"\n{concept}" if concept else ""),
        kind="type",
        name=name,
        expected="int",
        actual=type(value).__name__,
    )
    return int(value)


@dataclass
class Snapshot:
    """What a tensor looked like before the learner's function saw it."""

    values: torch.Tensor
    requires_grad: bool
    grad: torch.Tensor | None


def snapshot(*tensors: torch.Tensor) -> list[Snapshot]:
    """Copies of the values, the requires_grad flag and the .grad of each tensor."""
    return [
        Snapshot(
            t.detach().clone(),
            t.requires_grad,
            None if t.grad is None else t.grad.detach().clone(),
        )
        for t in tensors
    ]


def expect_untouched(
    tensors: list[torch.Tensor], before: list[Snapshot], *, names: list[str], concept: str = ""
) -> None:
    """Each tensor still has its values, its requires_grad and its .grad from `before`."""
    tail = f"\n{concept}" if concept else ""
    for t, snap, name in zip(tensors, before, names, strict=True):
        expect(
            t.requires_grad == snap.requires_grad,
            f"{name} had requires_grad={snap.requires_grad} before the call and "
            f"{t.requires_grad} after it: the function switched it on the caller's tensor "
            "(requires_grad_ changes the tensor in place). Work on a copy (x.detach()"
            ".requires_grad_() or x.clone()) or ask autograd with torch.autograd.grad." + tail,
            kind="side_effect",
            name=name,
        )
        same = t.shape == snap.values.shape and torch.equal(t.detach(), snap.values)
        expect(
            same,
            f"{name} was changed by the call: its values are not the ones passed in. An "
            "in-place operation (add_, mul_, x[...] = ..., +=) edits the caller's tensor; "
            "compute a new tensor instead." + tail,
            kind="side_effect",
            name=name,
        )
        if snap.grad is None:
            expect(
                t.grad is None,
                f"{name}.grad was None before the call and holds a gradient after it: the "
                "function left a gradient on the caller's tensor (backward() on something "
                "that reaches it). torch.autograd.grad returns the gradient without storing "
                "it; or work on a detached copy." + tail,
                kind="side_effect",
                name=name,
            )
        else:
            expect(
                t.grad is not None and torch.equal(t.grad, snap.grad),
                f"{name}.grad changed during the call: backward() added into the caller's "
                ".grad. Use torch.autograd.grad, or a detached copy." + tail,
                kind="side_effect",
                name=name,
            )


@dataclass
class OptimizerWatch:
    """What `watch_optimizers` saw: the optimizers that stepped, the loss before each step."""

    optimizers: list[torch.optim.Optimizer] = field(default_factory=list)
    losses_before: list[float] = field(default_factory=list)


@contextmanager
def watch_optimizers(
    params: Iterable[torch.Tensor], loss_now: Callable[[], torch.Tensor]
) -> Iterator[OptimizerWatch]:
    """Observe every optimizer.step() on `params` made inside the block, whoever built it.

    A global step pre-hook records which optimizer objects stepped the watched
    parameters (an optimizer rebuilt inside a loop shows up as many) and the value
    of `loss_now()` just before each step. The optimizers are kept referenced, so
    their ids stay distinct.
    """
    watched = {id(p) for p in params}
    seen = OptimizerWatch()

    def hook(optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        mine = any(id(p) in watched for g in optimizer.param_groups for p in g["params"])
        if not mine:
            return
        if all(o is not optimizer for o in seen.optimizers):
            seen.optimizers.append(optimizer)
        with torch.no_grad():
            seen.losses_before.append(float(loss_now()))

    handle = register_optimizer_step_pre_hook(hook)
    try:
        yield seen
    finally:
        handle.remove()


def scaled_copy(module: torch.nn.Module, factor: float) -> torch.nn.Module:
    """A deep copy of `module` with every floating parameter multiplied by `factor`.

    A probe for squashed outputs: a network that ends in a plain Linear layer gives
    outputs that grow with its weights, whatever its hidden layers (tanh, LayerNorm);
    one that ends in tanh, sigmoid, softmax or a clamp stays inside its bounds.
    """
    probe = copy.deepcopy(module)
    with torch.no_grad():
        for p in probe.parameters():
            if p.is_floating_point():
                p.mul_(factor)
    return probe

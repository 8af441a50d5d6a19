"""Spies that watch a training loop from the outside.

A check about a training step should observe what the loop *does*, never read
its source. These spies record, in one ordered `EventLog`:

- "backward": a backward pass reached the watched parameters. The event says
  which parameters already held a non-zero gradient when the new one arrived
  (stale gradients: a missing or misplaced zero_grad).
- "zero_grad": the spy optimizer's `zero_grad` was called.
- "step": the spy optimizer's `step` was called. The event keeps the gradients
  it was about to apply, their global norm, the learning rate of every group
  and the parameter values before the update.

Any way of clearing gradients counts as clean (optimizer.zero_grad(),
model.zero_grad(), setting `.grad = None`): the backward event looks at the
gradients themselves. The spy optimizer is a real optimizer (a subclass made
on the fly), so LR schedulers and `isinstance` checks accept it.

Typical use in a check:

    log = EventLog()
    watch_backward(model.parameters(), log)
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=0.1)
    exercise.train_step(model, optimizer, batch, loss_fn)
    log.kinds()  # ["zero_grad", "backward", "step"]

When the loop builds its own optimizer, `watch_optimizers` observes every
optimizer.step() on the watched parameters instead: which optimizer objects
stepped (one rebuilt per update shows up as many) and the loss before each step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

__all__ = [
    "Event",
    "EventLog",
    "watch_backward",
    "spy_optimizer",
    "global_grad_norm",
    "grads_of",
    "OptimizerWatch",
    "watch_optimizers",
]


@dataclass
class Event:
    """One thing that happened during the learner's loop."""

    kind: str
    # backward: indices (into the watched parameters) that held a non-zero
    # gradient before this backward pass added to it.
    stale: set[int] = field(default_factory=set)
    # backward: indices that received a gradient in this pass.
    reached: set[int] = field(default_factory=set)
    # step: the gradients about to be applied (None where a parameter had none).
    grads: list[torch.Tensor | None] = field(default_factory=list)
    # step: global L2 norm of those gradients (all parameters together).
    grad_norm: float = 0.0
    # step: learning rate of each parameter group at the moment of the step.
    lrs: list[float] = field(default_factory=list)
    # step: parameter values just before the update.
    params_before: list[torch.Tensor] = field(default_factory=list)
    # zero_grad: the set_to_none argument it was called with.
    set_to_none: bool | None = None


class EventLog:
    """An ordered record of backward passes and optimizer calls."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def kinds(self) -> list[str]:
        """The event kinds in order, e.g. ["zero_grad", "backward", "step"]."""
        return [e.kind for e in self.events]

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def steps(self) -> list[Event]:
        return self.of_kind("step")

    def clear(self) -> None:
        self.events.clear()

    def describe(self) -> str:
        """The call order in words, for a failure message."""
        return " -> ".join(self.kinds()) or "(nothing was called)"


def grads_of(params: Iterable[torch.Tensor]) -> list[torch.Tensor | None]:
    """Detached copies of the parameters' current gradients."""
    return [None if p.grad is None else p.grad.detach().clone() for p in params]


def global_grad_norm(grads: Iterable[torch.Tensor | None]) -> float:
    """The L2 norm of all gradients taken together (what clip_grad_norm_ measures)."""
    total = 0.0
    for g in grads:
        if g is not None:
            total += float(g.detach().double().pow(2).sum())
    return math.sqrt(total)


def watch_backward(params: Iterable[torch.Tensor], log: EventLog) -> list[Any]:
    """Record a "backward" event each time a backward pass reaches `params`.

    Uses a tensor hook, which runs before the new gradient is added to `.grad`,
    so it can tell whether the old gradient was cleared. Consecutive hook calls
    belong to one pass until a parameter is reached twice. Returns the hook
    handles (call `.remove()` on them to stop watching).
    """
    params = list(params)
    handles = []

    def make_hook(index: int, p: torch.Tensor):
        def hook(grad: torch.Tensor) -> None:
            last = log.events[-1] if log.events else None
            if last is None or last.kind != "backward" or index in last.reached:
                last = Event("backward")
                log.events.append(last)
            last.reached.add(index)
            if p.grad is not None and bool((p.grad != 0).any()):
                last.stale.add(index)

        return hook

    for i, p in enumerate(params):
        handles.append(p.register_hook(make_hook(i, p)))
    return handles


def spy_optimizer(
    optimizer_class: type[torch.optim.Optimizer],
    params: Iterable[Any],
    log: EventLog,
    **kwargs: Any,
) -> torch.optim.Optimizer:
    """Build an `optimizer_class` that also records zero_grad and step in `log`.

    The returned object is a genuine instance of a subclass of
    `optimizer_class`: it updates parameters exactly as the real one would.
    """

    class Spy(optimizer_class):  # type: ignore[misc, valid-type]
        def zero_grad(self, set_to_none: bool = True) -> None:
            log.events.append(Event("zero_grad", set_to_none=set_to_none))
            super().zero_grad(set_to_none=set_to_none)

        def step(self, closure: Any = None) -> Any:
            watched = [p for group in self.param_groups for p in group["params"]]
            grads = grads_of(watched)
            log.events.append(
                Event(
                    "step",
                    grads=grads,
                    grad_norm=global_grad_norm(grads),
                    lrs=[float(group["lr"]) for group in self.param_groups],
                    params_before=[p.detach().clone() for p in watched],
                )
            )
            return super().step(closure)

    Spy.__name__ = optimizer_class.__name__
    Spy.__qualname__ = optimizer_class.__qualname__
    return Spy(params, **kwargs)


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

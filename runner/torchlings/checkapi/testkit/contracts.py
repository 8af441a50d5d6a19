"""Promises a docstring makes that outcome-only checks let slip.

- `expect_py_float` / `expect_py_int`: a function that promises a Python number
  returns one, not a 0-d tensor (a tensor kept in a log holds on to its graph
  and device, and `json.dumps` refuses it).
- `InputSnapshot`: the caller's tensors (shape, dtype, values, requires_grad,
  grad_fn, .grad) recorded before a call; `expect_untouched` after it names the
  first input the call changed, and how (`add_`, `unsqueeze_`, `detach_`,
  `requires_grad_`, a `backward()` that reached the caller's `.grad`).
- `ModuleSnapshot`: the caller's network's modes (each submodule's `training`) and
  its parameters' `requires_grad`; `expect_untouched` names the first one a call left
  changed (`critic.eval()` to compute a target, `requires_grad_(False)` to stop a
  gradient, neither put back).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from torchlings.checkapi.testing import expect, fail, with_concept

__all__ = ["InputSnapshot", "ModuleSnapshot", "expect_py_float", "expect_py_int"]


def _type_story(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)} ({value!r})"[:160]
    return f"{type(value).__name__} ({value!r})"[:120]


def expect_py_float(value: Any, *, name: str, concept: str = "") -> float:
    """`value` must be a Python float (an int is accepted: it is a number too; a bool is not)."""
    expect(
        isinstance(value, (float, int)) and not isinstance(value, bool),
        with_concept(
            f"{name} should be a plain Python float, but it is {_type_story(value)}. A tensor "
            "(even a 0-d one) kept in a log still holds on to its graph and device; .item() "
            "(or float(t)) turns a one-element tensor into a Python number.",
            concept,
        ),
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
        with_concept(
            f"{name} should be a plain Python int, but it is {_type_story(value)}. .item() "
            "(or int(t)) turns a one-element tensor into a Python number.",
            concept,
        ),
        kind="type",
        name=name,
        expected="int",
        actual=type(value).__name__,
    )
    return int(value)


class InputSnapshot:
    """The caller's tensors as they were before a call, to compare with after it.

        inputs = InputSnapshot(x=x, bias=bias)
        out = exercise.add_bias(x, bias)
        inputs.expect_untouched(function="add_bias", concept="...")
    """

    def __init__(self, **tensors: torch.Tensor) -> None:
        self.tensors = tensors
        self.before = {name: _state(t) for name, t in tensors.items()}

    def expect_untouched(self, *, function: str, concept: str = "") -> None:
        """Fail naming the first input the call changed, and how."""
        for name, t in self.tensors.items():
            how = _what_changed(t, *self.before[name])
            if how:
                fail(
                    with_concept(
                        f"{function} changed the caller's {name}: {how} The caller still needs "
                        "its tensors as they were.",
                        concept,
                    ),
                    kind="side_effect",
                    name=name,
                )


class ModuleSnapshot:
    """The caller's networks' modes and parameters' requires_grad, to compare after a call.

    A function handed a network uses it and gives it back as it was: the caller's training
    loop runs next, and a network left in eval mode trains without dropout (and with frozen
    batch-norm statistics); one left with requires_grad=False does not train at all.
    """

    def __init__(self, **modules: nn.Module) -> None:
        self.modules = modules
        self.before = {name: _module_state(m) for name, m in modules.items()}

    def expect_untouched(self, *, function: str, concept: str = "") -> None:
        """Fail naming the first network the call left changed, and how."""
        for name, how in self.changes():
            fail(with_concept(f"{function} changed the caller's {name}: {how}", concept),
                 kind="side_effect", name=name)

    def changes(self) -> list[tuple[str, str]]:
        """(name, how) for each network the call left in another mode or requires_grad."""
        found = []
        for name, module in self.modules.items():
            how = _module_change(self.before[name], _module_state(module))
            if how:
                found.append((name, how))
        return found


def _module_change(before: tuple[list, list], now: tuple[list, list]) -> str:
    if [n for n, _ in before[0]] != [n for n, _ in now[0]] or [
            n for n, _ in before[1]] != [n for n, _ in now[1]]:
        return ("its submodules or parameters are not the ones passed in: a layer was added, "
                "removed or replaced on the caller's network. Build what you need apart from it.")
    for (part, was), (_, is_now) in zip(before[0], now[0], strict=True):
        if was != is_now:
            where = f"its submodule {part!r}" if part else "it"
            return (f"{where} went from {_mode(was)} to {_mode(is_now)} mode and was left so. "
                    ".eval() / .train() switch the caller's network for the rest of the "
                    "program: to compute without a graph, use torch.no_grad(); if a mode must "
                    "change, put the one you found back before returning.")
    for (pname, was), (_, is_now) in zip(before[1], now[1], strict=True):
        if was != is_now:
            return (f"its parameter {pname!r} went from requires_grad={was} to "
                    f"requires_grad={is_now}. requires_grad_() changes the caller's network "
                    "for its own training too: to stop a gradient, use torch.no_grad() or "
                    ".detach() on the result.")
    return ""


def _module_state(module: nn.Module) -> tuple[list, list]:
    modes = [(name, m.training) for name, m in module.named_modules()]
    grads = [(name, p.requires_grad) for name, p in module.named_parameters()]
    return modes, grads


def _mode(training: bool) -> str:
    return "train" if training else "eval"


def _state(t: torch.Tensor) -> tuple:
    # .grad is only read on leaves: a non-leaf has none, and asking for it warns.
    grad = t.grad.detach().clone() if t.is_leaf and t.grad is not None else None
    return tuple(t.shape), t.dtype, t.detach().clone(), t.requires_grad, t.grad_fn, grad


def _what_changed(t: torch.Tensor, shape, dtype, values, requires_grad, grad_fn, grad) -> str:
    if tuple(t.shape) != shape:
        return (f"its shape went from {shape} to {tuple(t.shape)} (an in-place view such as "
                "unsqueeze_ / squeeze_; use unsqueeze / squeeze, which return a new view).")
    if t.dtype != dtype:
        return f"its dtype went from {dtype} to {t.dtype} (a conversion made in place)."
    if t.requires_grad != requires_grad:
        graph = f" (grad_fn {_fn(grad_fn)} -> {_fn(t.grad_fn)})" if t.grad_fn is not grad_fn else ""
        return (f"requires_grad went from {requires_grad} to {t.requires_grad}{graph}. "
                "requires_grad_() and detach_() change the caller's tensor in place; work on a "
                "copy (x.detach() returns a new tensor and leaves the caller's attached; "
                "x.detach().clone().requires_grad_() makes a new leaf) or ask autograd with "
                "torch.autograd.grad.")
    if not t.is_meta and not torch.equal(t.detach(), values):  # meta tensors hold no values
        return ("its values are not the ones passed in. An in-place operation (add_, mul_, "
                "x[...] = ..., +=, -=) edits the caller's tensor; compute a new tensor instead.")
    if t.grad_fn is not grad_fn:
        return ("an in-place operation on it was recorded in the caller's graph (its "
                f"grad_fn is a new {_fn(t.grad_fn)}); compute a new tensor instead.")
    if t.is_leaf and grad is None and t.grad is not None:
        return ("its .grad was None before the call and holds a gradient after it: the "
                "function left a gradient on the caller's tensor (backward() on something that "
                "reaches it). torch.autograd.grad returns the gradient without storing it; or "
                "work on a detached copy.")
    if t.is_leaf and grad is not None and (
            t.grad is None or (not t.is_meta and not torch.equal(t.grad, grad))):
        return ("its .grad changed during the call: backward() added into (or zero_grad "
                "cleared) the caller's .grad. Use torch.autograd.grad, or a detached copy.")
    return ""


def _fn(grad_fn: Any) -> str:
    return "None" if grad_fn is None else type(grad_fn).__name__

"""How a function's result differs from what its contract promises, in the learner's words.

`compare(got, want, tolerance, where=...)` walks the promised structure (tensors, Python
numbers, tuples, lists, dicts, None) and returns the first difference as a sentence, or
None. A promised float is a Python float (not an int, not a tensor); a tensor's shape,
dtype, device, graph (requires_grad both ways), non-finite places and values are judged
in that order, values within `tolerance(dtype)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

Tolerance = Callable[[torch.dtype], tuple[float, float]]  # dtype -> (atol, rtol)

__all__ = ["Tolerance", "compare"]


def compare(got: Any, want: Any, tolerance: Tolerance, *, where: str) -> str | None:
    """What differs between `got` and the promised `want`, in words; None when nothing does."""
    if isinstance(want, torch.Tensor):
        return _compare_tensor(got, want, tolerance, where)
    if isinstance(want, bool):
        if not isinstance(got, bool):
            return f"{where} should be a bool, but it is {_kind(got)}."
        return None if got == want else f"{where} is {got}, but the promise gives {want}."
    if isinstance(want, int):
        if isinstance(got, bool) or not isinstance(got, int):
            return f"{where} should be a Python int, but it is {_kind(got)}."
        return None if got == want else f"{where} is {got}, but the promise gives {want}."
    if isinstance(want, float):
        if not isinstance(got, float):
            return (f"{where} should be a Python float, but it is {_kind(got)}. "
                    + ("A tensor keeps its graph and device alive in a log; .item() gives the "
                       "number." if isinstance(got, torch.Tensor) else
                       "An int is not a float: float(...) or a division makes one."))
        atol, rtol = tolerance(torch.float32)  # a Python float: float32's tolerance
        if not _numbers_close(got, want, atol, rtol):
            return f"{where} is {got!r}, but the promise gives {want!r} (atol={atol:g}, rtol={rtol:g})."
        return None
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{where} should be a {type(want).__name__} of {len(want)}, but it is {_kind(got)}."
        for index, (g, w) in enumerate(zip(got, want, strict=True)):
            problem = compare(g, w, tolerance, where=f"{where}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{where} should be a dict with keys {sorted(want)}, but it is {_kind(got)}."
        for key in want:
            problem = compare(got[key], want[key], tolerance, where=f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if want is None:
        return None if got is None else f"{where} should be None, but it is {_kind(got)}."
    return None if got == want else f"{where} is {got!r}, but the promise gives {want!r}."


def _compare_tensor(got: Any, want: torch.Tensor, tolerance: Tolerance, where: str) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"{where} should be a tensor, but it is {_kind(got)}."
    if got.shape != want.shape:
        return f"{where} has shape {tuple(got.shape)}, but the promise gives {tuple(want.shape)}."
    if got.dtype != want.dtype:
        return (f"{where} has dtype {got.dtype}, but the promise gives {want.dtype}: a hard-coded "
                "dtype (.float(), torch.float32, a tensor made without dtype=) where the "
                "inputs' dtype should carry through.")
    if got.device != want.device:
        return (f"{where} is on {got.device}, but the promise gives {want.device}: a tensor made "
                "without device= (or .to(...)) where the inputs' device should carry through.")
    if want.requires_grad and not got.requires_grad:
        return (f"{where} has no graph (requires_grad=False), but the promise keeps one: "
                "a .detach(), .item() or no_grad() cut the path gradients must take.")
    if got.requires_grad and not want.requires_grad:
        return (f"{where} carries a graph (requires_grad=True), but the promise gives a plain "
                "value: wrap it in torch.no_grad() or .detach() it, or autograd keeps every "
                "intermediate alive and gradients leak where none should flow.")
    g, w = got.detach(), want.detach()
    if w.is_meta:
        return None  # a meta tensor has a shape, dtype and device, and no values to compare
    if w.is_floating_point() or w.is_complex():
        bad = torch.isfinite(w) != torch.isfinite(g)
        bad |= ~torch.isfinite(w) & ~torch.isnan(w) & (g != w)  # -inf must stay -inf
        if bool(bad.any()):
            index = tuple(int(i) for i in bad.nonzero()[0])
            return (f"{where} is {g[index].item()!r} at index {list(index)}, where the promise "
                    f"gives {w[index].item()!r}: a value that overflows (exp of a large number, "
                    "log of 0) where a stable form (subtract the max first, log_softmax, "
                    "logsumexp) stays finite; or a finite number where -inf is promised.")
        atol, rtol = tolerance(w.dtype)
        finite = torch.isfinite(w)
        close = torch.isclose(g.double(), w.double(), atol=atol, rtol=rtol) | ~finite
        if not bool(close.all()):
            index = tuple(int(i) for i in (~close).nonzero()[0])
            return (f"{where} is {g[index].item():.6g} at index {list(index)}, where the promise "
                    f"gives {w[index].item():.6g} ({int((~close).sum())} of {w.numel()} "
                    f"element(s) differ; atol={atol:g}, rtol={rtol:g}).")
        return None
    if not torch.equal(g, w):
        index = tuple(int(i) for i in (g != w).nonzero()[0])
        return (f"{where} is {g[index].item()!r} at index {list(index)}, where the promise "
                f"gives {w[index].item()!r}.")
    return None


def _numbers_close(got: float, want: float, atol: float, rtol: float) -> bool:
    if want != want:  # NaN promised
        return got != got
    if abs(want) == float("inf"):
        return got == want
    return abs(got - want) <= atol + rtol * abs(want)


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return f"{type(value).__name__} ({value!r})"[:100]

"""The steps of `expect_tensor`, one property each, in the order a learner should fix them.

type, shape, dtype, device, requires_grad / grad_fn, finite, values: the
first thing wrong is the thing to fix, and a value diff on a tensor of the
wrong shape only confuses. Each step fails with a teaching sentence and a
typed detail (see `details.py`); each does nothing when its property is right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchlings.checkapi.details import Mismatch, NonFinite, PropertyMismatch, ValueMismatch
from torchlings.checkapi.failures import fail_with, fmt_shape, short_repr, with_concept

# How many mismatched elements the report's table lists.
FIRST_MISMATCHES = 5


def broadcast_story(actual: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """Name the classic broadcasting accidents behind a shape mismatch ("" if none fits)."""
    if len(actual) == 2 and actual[0] == actual[1] and expected in ((actual[0],), (actual[0], 1)):
        n = actual[0]
        return (
            f"A ({n}, {n}) result where ({n},) was expected is the broadcasting accident: "
            f"a ({n}, 1) column met a ({n},) row and PyTorch paired every element with every "
            "other. Make both operands the same shape (squeeze(-1) or unsqueeze(-1)) first."
        )
    if actual == (*expected, 1):
        return (
            "There is an extra trailing dimension of size 1. A (B, 1) tensor that later meets "
            "a (B,) one broadcasts to (B, B); squeeze(-1) or index it away."
        )
    if actual == () and expected == (1,):
        return ("A batch of one came back with no dimensions at all: squeeze() without a dim "
                "removes every dimension of size 1, the batch's too. squeeze(-1) removes only "
                "the last.")
    if expected == (*actual, 1):
        return "The trailing dimension of size 1 is missing; unsqueeze(-1) adds it."
    if sorted(actual) == sorted(expected) and len(actual) > 1:
        # No remedy named: the cause may be the order of a constructor's or reshape's
        # arguments as well as a transpose, and the exercise's own hint says which.
        return ("The same sizes in another order: look at the order in which your code "
                "gives or rearranges the dimensions.")
    return ""


def check_type(actual: Any, *, name: str, concept: str) -> None:
    # type(), not isinstance(): an object can claim torch.Tensor as its
    # __class__ and answer torch's functions itself (tests/grade/forgeries.py).
    if is_tensor(actual):
        return
    fail_with(
        with_concept(f"{name} should be a torch.Tensor, but it is {type(actual).__name__}"
                     f" ({short_repr(actual)}).", concept),
        PropertyMismatch("type", name, "torch.Tensor", type(actual).__name__),
    )


def is_tensor(value: Any) -> bool:
    """A real torch.Tensor (or subclass), whatever its __class__ claims."""
    return issubclass(type(value), torch.Tensor)


def check_shape(actual: torch.Tensor, want: Sequence[int], *, name: str, concept: str) -> None:
    expected = tuple(int(d) for d in want)
    got = tuple(actual.shape)
    if expected == got:
        return
    story = broadcast_story(got, expected)
    message = f"{name} has shape {fmt_shape(got)}, expected {fmt_shape(expected)}."
    if story:
        message += "\n" + story
    fail_with(with_concept(message, concept),
              PropertyMismatch("shape", name, list(expected), list(got),
                               broadcast="broadcast" in story))


def check_dtype(actual: torch.Tensor, want: torch.dtype, *, name: str, concept: str) -> None:
    if actual.dtype == want:
        return
    fail_with(
        with_concept(f"{name} has dtype {actual.dtype}, expected {want}.", concept),
        PropertyMismatch("dtype", name, str(want), str(actual.dtype)),
    )


def check_device(actual: torch.Tensor, want: str | torch.device, *, name: str,
                 concept: str) -> None:
    expected = torch.device(want)
    same = actual.device.type == expected.type and (
        expected.index is None or actual.device.index == expected.index
    )
    if same:
        return
    fail_with(
        with_concept(f"{name} is on device {actual.device}, expected {expected}.", concept),
        PropertyMismatch("device", name, str(expected), str(actual.device)),
    )


def check_requires_grad(actual: torch.Tensor, want: bool, *, name: str, concept: str) -> None:
    if actual.requires_grad == want:
        return
    if want:
        message = (f"{name} does not require grad, so autograd is not tracking it and no "
                   "gradient can reach it.")
    else:
        message = (f"{name} still requires grad (grad_fn={grad_fn_name(actual)}): it is part "
                   "of the autograd graph, and gradients would flow through it.")
    fail_with(with_concept(message, concept),
              PropertyMismatch("requires_grad", name, want, actual.requires_grad))


def check_grad_fn(actual: torch.Tensor, want: bool, *, name: str, concept: str) -> None:
    if (actual.grad_fn is not None) == want:
        return
    if want:
        message = (f"{name} has no grad_fn: it was not computed from tensors that require "
                   "grad, or the graph was cut (detach, no_grad, .item(), NumPy).")
    else:
        message = (f"{name} carries grad_fn={grad_fn_name(actual)}: it is still attached to "
                   "the graph that produced it. Compute it under torch.no_grad() or call "
                   ".detach().")
    fail_with(with_concept(message, concept),
              PropertyMismatch("grad_fn", name, want, grad_fn_name(actual)))


def check_finite(actual: torch.Tensor, *, name: str, concept: str) -> None:
    if not actual.is_floating_point():
        return
    bad = ~torch.isfinite(actual.detach())
    if not bool(bad.any()):
        return
    index = first_index(bad)
    fail_with(
        with_concept(f"{name} has {int(bad.sum())} non-finite value(s) (NaN or Inf); the first "
                     f"is at index {index}: {actual.detach()[index].item()}.", concept),
        NonFinite(name, int(bad.sum()), list(index)),
    )


def check_values(actual: torch.Tensor, expected: Any, *, name: str, atol: float, rtol: float,
                 concept: str) -> None:
    """Compare values: `allclose` semantics for floating point, exact otherwise."""
    got = actual.detach().cpu()
    want = torch.as_tensor(expected.detach().cpu() if isinstance(expected, torch.Tensor)
                           else expected)
    if tuple(want.shape) != tuple(got.shape):
        try:
            want = want.expand_as(got)
        except RuntimeError:
            check_shape(got, want.shape, name=name, concept=concept)
    exact = not (got.is_floating_point() or got.is_complex()) and not (
        want.is_floating_point() or want.is_complex()
    )
    if exact:
        bad = got != want
        tolerance = "exact"
    else:
        bad = ~torch.isclose(got.double(), want.double(), atol=atol, rtol=rtol, equal_nan=False)
        tolerance = f"atol={atol:g}, rtol={rtol:g}"
    if not bool(bad.any()):
        return
    count = int(bad.sum())
    rows = [Mismatch(list(index), _element(got, index), _element(want, index))
            for index in _first_indices(bad, FIRST_MISMATCHES)]
    first = rows[0]
    where = f" at index {first.index}" if got.dim() else ""
    if exact:
        headline = f"{name} has the wrong values: {count} of {got.numel()} element(s) differ."
        numbers = f"got {first.actual}, expected {first.expected}"
    else:
        headline = (f"{name} has the wrong values: {count} of {got.numel()} element(s) differ "
                    f"({tolerance}).")
        numbers = f"got {first.actual:.6g}, expected {first.expected:.6g}"
    fail_with(
        with_concept(f"{headline} First{where}: {numbers}.", concept),
        ValueMismatch(name, count, got.numel(), tolerance, rows, headline, concept),
    )


def first_index(mask: torch.Tensor) -> tuple[int, ...]:
    if mask.dim() == 0:
        return ()
    return tuple(int(i) for i in mask.nonzero()[0])


def _first_indices(mask: torch.Tensor, limit: int) -> list[tuple[int, ...]]:
    if mask.dim() == 0:
        return [()]
    return [tuple(int(i) for i in row) for row in mask.nonzero()[:limit]]


def _element(t: torch.Tensor, index: tuple[int, ...]) -> Any:
    return t[index].item() if t.dim() else t.item()


def grad_fn_name(t: torch.Tensor) -> str:
    return type(t.grad_fn).__name__ if t.grad_fn is not None else "None"

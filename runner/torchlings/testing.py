"""Assertion helpers for checks: tensor-aware, with messages that teach.

A check should fail with a sentence a learner can act on: what was looked at,
what was expected, what was found, and which idea that points to. Every helper
here raises `CheckFailure` (an AssertionError) whose `details` carry the same
facts as data, so the report can lay them out (shapes side by side, the first
mismatched element) without parsing text.

The order of `expect_tensor`'s checks is deliberate: type, shape, dtype,
device, requires_grad / grad_fn, finite, values. The first thing wrong is the
thing to fix; a value diff on a tensor of the wrong shape only confuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

import torch

__all__ = [
    "CheckFailure",
    "NotDone",
    "fail",
    "expect",
    "expect_tensor",
    "expect_close",
    "expect_choice",
    "note",
    "record_point",
    "record_series",
    "fmt_shape",
    "require_cuda",
]


class CheckFailure(AssertionError):
    """A failed expectation with a teaching message and structured details."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotDone(Exception):
    """The learner has not attempted this part yet (reported as "not done")."""


# What a check wants shown beside its result: notes (for example the reason a
# conceptual answer is right) and series (a loss curve). The child process that
# runs one check reads these once pytest is finished; nothing else touches them.
_notes: list[str] = []
_series: dict[str, list[float]] = {}


def note(text: str) -> None:
    """Show `text` with the result, also when the check passes."""
    _notes.append(text)


def record_series(name: str, values: Iterable[float]) -> None:
    """Record a series (e.g. the loss per step) for the watch screen to draw."""
    _series[name] = [float(v) for v in values]


def record_point(name: str, value: float) -> None:
    """Append one point to a series as it happens (e.g. each episode's return).

    While a check runs, the engine forwards the series so far to the watch
    screen, which plots it live; the whole series also comes with the result.
    """
    _series.setdefault(name, []).append(float(value))
    if _point_listener is not None:
        _point_listener(name, float(value))


# Set by the check process when someone is watching the series live.
_point_listener: Callable[[str, float], None] | None = None


def collected_notes() -> list[str]:
    return list(_notes)


def collected_series() -> dict[str, list[float]]:
    return {k: list(v) for k, v in _series.items()}


def require_cuda() -> None:
    """Skip the calling test, honestly, where no CUDA GPU is present.

    Exercises that need one also say `requires = ["cuda"]` in the catalog, so
    the runner checks them in a fresh process (forking after CUDA is unsafe).
    """
    if not torch.cuda.is_available():
        import pytest

        pytest.skip("needs a CUDA GPU, and this machine has none: not checked here")


def fail(message: str, **details: Any) -> NoReturn:
    raise CheckFailure(message, **details)


def expect(condition: object, message: str, **details: Any) -> None:
    """Fail with `message` unless `condition` is true."""
    if not condition:
        fail(message, **details)


def fmt_shape(shape: Sequence[int] | torch.Size) -> str:
    dims = tuple(int(d) for d in shape)
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def _with_concept(message: str, concept: str) -> str:
    return f"{message}\n{concept}" if concept else message


def _broadcast_story(actual: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """Name the classic broadcasting accidents behind a shape mismatch."""
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
    if expected == (*actual, 1):
        return "The trailing dimension of size 1 is missing; unsqueeze(-1) adds it."
    if sorted(actual) == sorted(expected) and len(actual) > 1:
        return "The same sizes in another order: a transpose or a permute is missing or extra."
    return ""


def expect_tensor(
    actual: Any,
    *,
    name: str,
    shape: Sequence[int] | None = None,
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
    requires_grad: bool | None = None,
    grad_fn: bool | None = None,
    finite: bool = False,
    values: Any = None,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    concept: str = "",
) -> torch.Tensor:
    """Check a tensor property by property, in the order a learner should fix them.

    `name` says in the learner's terms what is being looked at ("the Q-values
    your network returns"); `concept` is the idea to revisit when it is wrong.
    `values` may be a tensor, a number or nested lists; it is compared with
    `torch.allclose` semantics for floating point and exactly otherwise.
    Returns `actual` so a check can go on using it.
    """
    if not isinstance(actual, torch.Tensor):
        fail(
            _with_concept(
                f"{name} should be a torch.Tensor, but it is {type(actual).__name__}"
                f" ({_short_repr(actual)}).",
                concept,
            ),
            kind="type",
            name=name,
            expected="torch.Tensor",
            actual=type(actual).__name__,
        )

    if shape is not None:
        want = tuple(int(d) for d in shape)
        got = tuple(actual.shape)
        if want != got:
            story = _broadcast_story(got, want)
            message = f"{name} has shape {fmt_shape(got)}, expected {fmt_shape(want)}."
            if story:
                message += "\n" + story
            fail(
                _with_concept(message, concept),
                kind="shape",
                name=name,
                expected=list(want),
                actual=list(got),
                broadcast=bool(story and "broadcast" in story),
            )

    if dtype is not None and actual.dtype != dtype:
        fail(
            _with_concept(
                f"{name} has dtype {_dtype_name(actual.dtype)}, expected {_dtype_name(dtype)}.",
                concept,
            ),
            kind="dtype",
            name=name,
            expected=_dtype_name(dtype),
            actual=_dtype_name(actual.dtype),
        )

    if device is not None:
        want_device = torch.device(device)
        same = actual.device.type == want_device.type and (
            want_device.index is None or actual.device.index == want_device.index
        )
        if not same:
            fail(
                _with_concept(
                    f"{name} is on device {actual.device}, expected {want_device}.", concept
                ),
                kind="device",
                name=name,
                expected=str(want_device),
                actual=str(actual.device),
            )

    if requires_grad is not None and actual.requires_grad != requires_grad:
        if requires_grad:
            message = (
                f"{name} does not require grad, so autograd is not tracking it and no "
                "gradient can reach it."
            )
        else:
            message = (
                f"{name} still requires grad (grad_fn={_grad_fn_name(actual)}): it is part of "
                "the autograd graph, and gradients would flow through it."
            )
        fail(
            _with_concept(message, concept),
            kind="requires_grad",
            name=name,
            expected=requires_grad,
            actual=actual.requires_grad,
        )

    if grad_fn is not None and (actual.grad_fn is not None) != grad_fn:
        if grad_fn:
            message = (
                f"{name} has no grad_fn: it was not computed from tensors that require grad, "
                "or the graph was cut (detach, no_grad, .item(), NumPy)."
            )
        else:
            message = (
                f"{name} carries grad_fn={_grad_fn_name(actual)}: it is still attached to the "
                "graph that produced it. Compute it under torch.no_grad() or call .detach()."
            )
        fail(
            _with_concept(message, concept),
            kind="grad_fn",
            name=name,
            expected=grad_fn,
            actual=_grad_fn_name(actual),
        )

    if finite and actual.is_floating_point():
        bad = ~torch.isfinite(actual.detach())
        if bool(bad.any()):
            index = _first_index(bad)
            fail(
                _with_concept(
                    f"{name} has {int(bad.sum())} non-finite value(s) (NaN or Inf); the first is "
                    f"at index {index}: {actual.detach()[index].item()}.",
                    concept,
                ),
                kind="finite",
                name=name,
                count=int(bad.sum()),
                index=list(index),
            )

    if values is not None:
        _expect_values(actual, values, name=name, atol=atol, rtol=rtol, concept=concept)

    return actual


def expect_close(
    actual: Any,
    expected: Any,
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    concept: str = "",
) -> None:
    """Compare a number (or a tensor, by value only) with what it should be."""
    if isinstance(actual, torch.Tensor):
        if isinstance(expected, torch.Tensor) and tuple(expected.shape) != tuple(actual.shape):
            expect_tensor(actual, name=name, shape=expected.shape, concept=concept)
        _expect_values(actual, expected, name=name, atol=atol, rtol=rtol, concept=concept)
        return
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        fail(
            _with_concept(
                f"{name} should be a number, but it is {type(actual).__name__}"
                f" ({_short_repr(actual)}).",
                concept,
            ),
            kind="type",
            name=name,
            expected="number",
            actual=type(actual).__name__,
        )
    want = float(expected)
    if not abs(float(actual) - want) <= atol + rtol * abs(want):
        fail(
            _with_concept(f"{name} is {actual!r}, expected {want!r}.", concept),
            kind="value",
            name=name,
            expected=want,
            actual=float(actual),
            atol=atol,
            rtol=rtol,
        )


def expect_choice(
    module: Any,
    attribute: str,
    *,
    correct: str,
    choices: dict[str, str],
    why: str,
) -> None:
    """Check a conceptual answer given by setting a constant to one of `choices`.

    An unset answer (None) counts as not done; a wrong one fails and lists the
    choices; the right one passes and `why` is shown as a note.
    """
    answer = getattr(module, attribute, None)
    listing = "\n".join(f"  {key!r}: {text}" for key, text in choices.items())
    if answer is None:
        raise NotDone(f"Answer the question: set {attribute} to one of\n{listing}")
    if answer not in choices:
        fail(
            f"{attribute} = {answer!r} is not one of the choices:\n{listing}",
            kind="choice",
            name=attribute,
            actual=repr(answer),
        )
    if answer != correct:
        fail(
            f"{attribute} = {answer!r} ({choices[answer]}) is not right. Think again about what "
            "the code does step by step, then pick another choice.",
            kind="choice",
            name=attribute,
            actual=repr(answer),
        )
    note(f"{attribute} = {answer!r} is right. {why}")


def _expect_values(
    actual: torch.Tensor, expected: Any, *, name: str, atol: float, rtol: float, concept: str
) -> None:
    got = actual.detach().cpu()
    want = torch.as_tensor(expected.detach().cpu() if isinstance(expected, torch.Tensor) else expected)
    if tuple(want.shape) != tuple(got.shape):
        try:
            want = want.expand_as(got)
        except RuntimeError:
            fail(
                _with_concept(
                    f"{name} has shape {fmt_shape(got.shape)}, expected {fmt_shape(want.shape)}.",
                    concept,
                ),
                kind="shape",
                name=name,
                expected=list(want.shape),
                actual=list(got.shape),
            )
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
    index = _first_index(bad)
    got_value = got[index].item() if got.dim() else got.item()
    want_value = want[index].item() if want.dim() else want.item()
    count = int(bad.sum())
    where = f" at index {list(index)}" if got.dim() else ""
    message = (
        f"{name} has the wrong values: {count} of {got.numel()} element(s) differ "
        f"({tolerance}). First{where}: got {got_value:.6g}, expected {want_value:.6g}."
        if not exact
        else f"{name} has the wrong values: {count} of {got.numel()} element(s) differ. "
        f"First{where}: got {got_value}, expected {want_value}."
    )
    fail(
        _with_concept(message, concept),
        kind="values",
        name=name,
        mismatched=count,
        total=got.numel(),
        index=list(index),
        actual_value=got_value,
        expected_value=want_value,
        tolerance=tolerance,
    )


def _first_index(mask: torch.Tensor) -> tuple[int, ...]:
    if mask.dim() == 0:
        return ()
    return tuple(int(i) for i in mask.nonzero()[0])


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype)


def _grad_fn_name(t: torch.Tensor) -> str:
    return type(t.grad_fn).__name__ if t.grad_fn is not None else "None"


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

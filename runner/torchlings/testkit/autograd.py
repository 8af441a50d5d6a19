"""Autograd helpers for checks: run learner code, explain autograd's own errors.

When a learner's backward() goes wrong, PyTorch raises a RuntimeError whose
text is accurate but terse ("grad can be implicitly created only for scalar
outputs"). `call_autograd` runs the learner's function and, when one of the
well-known autograd errors comes out, fails the check with a message that
names the call, quotes PyTorch and adds the check's concept (the report adds
its own translation of the classic errors). The failure keeps the original
traceback, so the report still points at the learner's own line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from torchlings.testing import CheckFailure

__all__ = ["AUTOGRAD_ERRORS", "call_autograd", "explain_autograd_error"]

T = TypeVar("T")

# A piece of PyTorch's message, and what it means in the learner's terms. The
# report (torchlings.report.TRANSLATIONS) already explains the first four
# beside any message that quotes them, so they carry no story of their own here.
AUTOGRAD_ERRORS: tuple[tuple[str, str], ...] = (
    ("implicitly created only for scalar outputs", ""),
    ("modified by an inplace operation", ""),
    ("backward through the graph a second time", ""),
    ("does not require grad and does not have a grad_fn", ""),
    (
        "Inference tensors cannot be saved for backward",
        "A tensor made under torch.inference_mode() was used in a computation that "
        "autograd records. Inference tensors can never join a graph; use torch.no_grad() "
        "or .detach() when the result must take part in a later backward.",
    ),
    (
        "can only change requires_grad flags of leaf variables",
        "requires_grad can only be switched on or off on a leaf (a tensor you created). To "
        "cut a computed tensor from the graph use .detach() or compute it under "
        "torch.no_grad().",
    ),
)


def explain_autograd_error(exc: BaseException) -> str | None:
    """The teaching sentence for a well-known autograd error ("" if the report has
    one already), or None for any other exception."""
    if not isinstance(exc, RuntimeError):
        return None
    text = str(exc)
    for needle, story in AUTOGRAD_ERRORS:
        if needle in text:
            return story
    return None


def call_autograd(
    fn: Callable[..., T], *args: Any, name: str, concept: str = "", **kwargs: Any
) -> T:
    """Call `fn(*args, **kwargs)`; a well-known autograd error becomes a teaching failure.

    `name` says what was being run in the learner's terms ("entropy_gradient(logits)").
    Any other exception passes through untouched.
    """
    try:
        return fn(*args, **kwargs)
    except RuntimeError as exc:
        story = explain_autograd_error(exc)
        if story is None:
            raise
        first_line = str(exc).strip().splitlines()[0]
        if len(first_line) > 160:
            first_line = first_line[:157] + "..."
        message = f"{name} raised autograd's error: {first_line}"
        if story:
            message += f"\n{story}"
        if concept:
            message += f"\n{concept}"
        failure = CheckFailure(message, kind="autograd_error", name=name, error=first_line)
        # Keep the original traceback: the report then highlights the learner's line.
        raise failure.with_traceback(exc.__traceback__) from None

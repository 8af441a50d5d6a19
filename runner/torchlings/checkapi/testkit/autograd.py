"""Autograd helpers for checks: run learner code, explain autograd's own errors.

When a learner's backward() goes wrong, PyTorch raises a RuntimeError whose
text is accurate but terse ("grad can be implicitly created only for scalar
outputs"). `call_autograd` runs the learner's function and, when one of the
well-known autograd errors comes out, fails the check with a message that
names the call, quotes PyTorch, says what it means and adds the check's
concept. The failure keeps the original
traceback, so the report still points at the learner's own line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import torch

from torchlings.checkapi.testing import CheckFailure, with_concept
from torchlings.checkapi.translations import TRANSLATIONS, autograd_meaning

__all__ = ["AUTOGRAD_ERRORS", "backward_passes", "call_autograd", "explain_autograd_error"]

T = TypeVar("T")

# Which errors count as autograd's own, and what they mean, is the one table
# in torchlings.checkapi.translations (the report explains the same errors elsewhere).
AUTOGRAD_ERRORS: tuple[tuple[str, str], ...] = tuple(
    (entry.needle, entry.meaning) for entry in TRANSLATIONS if entry.autograd
)


def explain_autograd_error(exc: BaseException) -> str | None:
    """The teaching sentence for a well-known autograd error, or None for any other exception."""
    if not isinstance(exc, RuntimeError):
        return None
    return autograd_meaning(str(exc))


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
        message = with_concept(message, concept)
        failure = CheckFailure(message, kind="autograd_error", name=name, error=first_line)
        # Keep the original traceback: the report then highlights the learner's line.
        raise failure.with_traceback(exc.__traceback__) from None


@contextmanager
def backward_passes() -> Iterator[list[str]]:
    """Record the backward passes started while the block runs.

    Yields a list that gets "backward" for each torch.autograd.backward (which
    tensor.backward() calls) and "grad" for each torch.autograd.grad (which
    torch.autograd.functional builds on). An empty list afterwards means the
    code never asked autograd: its gradients were worked out some other way.
    """
    passes: list[str] = []
    real_backward, real_grad = torch.autograd.backward, torch.autograd.grad

    @functools.wraps(real_backward)
    def backward(*args: Any, **kwargs: Any) -> Any:
        passes.append("backward")
        return real_backward(*args, **kwargs)

    @functools.wraps(real_grad)
    def grad(*args: Any, **kwargs: Any) -> Any:
        passes.append("grad")
        return real_grad(*args, **kwargs)

    torch.autograd.backward, torch.autograd.grad = backward, grad
    try:
        yield passes
    finally:
        torch.autograd.backward, torch.autograd.grad = real_backward, real_grad

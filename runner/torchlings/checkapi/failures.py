"""The exceptions a check raises, and the small idioms every helper shares.

`testing.py` is the public face for check authors and re-exports all of this;
it lives apart so the tensor comparisons (`tensor_checks.py`) and the testkit
can use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import torch

from torchlings.checkapi.details import Detail


class CheckFailure(AssertionError):
    """A failed expectation with a teaching message and structured details."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotDone(Exception):
    """The learner has not attempted this part yet (reported as "not done")."""


def fail(message: str, **details: Any) -> NoReturn:
    raise CheckFailure(message, **details)


def fail_with(message: str, detail: Detail) -> NoReturn:
    """Fail with `message` and a typed detail the report knows how to lay out."""
    raise CheckFailure(message, **detail.to_dict())


def with_concept(message: str, concept: str) -> str:
    """`message`, then the idea to revisit on its own line (when there is one).

    Every helper that takes `concept=` ends its message this way, so the
    learner always finds the idea in the same place.
    """
    return f"{message}\n{concept}" if concept else message


def fmt_shape(shape: Sequence[int] | torch.Size) -> str:
    dims = tuple(int(d) for d in shape)
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""Typed details of a failed expectation: what the report lays out beside the message.

A check raises `CheckFailure(message, **details)`; the facts travel from the
check process to the runner as a JSON object with a `kind`. These dataclasses
are the two ends of that trip: `testing.py` builds one and sends `to_dict()`,
the report reads it back with `from_dict()` and renders it (a small table of
the first mismatched elements, the close name of a misspelling), never
parsing the message text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

# The properties `expect_tensor` compares, in the order a learner should fix them.
PROPERTIES = ("type", "shape", "dtype", "device", "requires_grad", "grad_fn")


@dataclass(frozen=True)
class Detail:
    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class PropertyMismatch(Detail):
    """One property (type, shape, dtype, ...) differs; the message says which, in words."""

    property: str
    name: str
    expected: Any
    actual: Any
    broadcast: bool = False

    def to_dict(self) -> dict[str, Any]:
        # The kind is the property itself ("shape"), as checks and older readers expect.
        data = asdict(self)
        data["kind"] = data.pop("property")
        return data


@dataclass(frozen=True)
class NonFinite(Detail):
    kind: ClassVar[str] = "finite"
    name: str
    count: int
    index: list[int]


@dataclass(frozen=True)
class Mismatch:
    """One element that differs: where, what the learner's code gave, what was expected."""

    index: list[int]
    actual: Any
    expected: Any


@dataclass(frozen=True)
class ValueMismatch(Detail):
    kind: ClassVar[str] = "values"
    name: str
    mismatched: int
    total: int
    tolerance: str  # "exact" or "atol=..., rtol=..."
    first: list[Mismatch] = field(default_factory=list)  # the first few, in index order
    headline: str = ""  # the message's first sentence, without the first element's numbers
    concept: str = ""


@dataclass(frozen=True)
class NumberMismatch(Detail):
    kind: ClassVar[str] = "value"
    name: str
    expected: float
    actual: float
    atol: float
    rtol: float


@dataclass(frozen=True)
class WrongChoice(Detail):
    kind: ClassVar[str] = "choice"
    name: str
    actual: str


@dataclass(frozen=True)
class SyntaxPosition(Detail):
    kind: ClassVar[str] = "syntax"
    column: int


@dataclass(frozen=True)
class AutogradError(Detail):
    kind: ClassVar[str] = "autograd_error"
    name: str
    error: str


@dataclass(frozen=True)
class Misspelling(Detail):
    """A name that does not exist, and the close one that does."""

    kind: ClassVar[str] = "misspelling"
    suggestion: str


_BY_KIND: dict[str, type[Detail]] = {
    cls.kind: cls
    for cls in (NonFinite, ValueMismatch, NumberMismatch, WrongChoice, SyntaxPosition,
                AutogradError, Misspelling)
}


def from_dict(data: dict[str, Any] | None) -> Detail | None:
    """The typed detail for a JSON object from a check, or None for kinds it does not know."""
    if not data:
        return None
    kind = data.get("kind")
    try:
        if kind in PROPERTIES:
            return PropertyMismatch(kind, str(data.get("name", "")), data.get("expected"),
                                    data.get("actual"), bool(data.get("broadcast", False)))
        cls = _BY_KIND.get(str(kind))
        if cls is None:
            return None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if cls is ValueMismatch:
            values["first"] = [Mismatch(**row) for row in values.get("first", [])]
        return cls(**values)
    except (TypeError, ValueError):
        return None  # a check author's own details: shown as the message alone

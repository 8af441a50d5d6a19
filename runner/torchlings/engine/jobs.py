"""What the callers hand an engine: which check, on which file, for how long."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 10.0

# Called with every series a check has recorded so far (see Engine.check).
SeriesCallback = Callable[[dict[str, list[float]]], None]


@dataclass(frozen=True)
class Sealed:
    """A graded check's terms: its code and the learner's, read before any learner code ran.

    The check process compiles both from these bytes, never from the files
    (which learner code could rewrite), and runs under the grade's witness
    (engine/child/guard.py); `forbidden` are folders it must not read (the
    installed reference solutions).
    """

    check_source: bytes
    exercise_source: bytes
    forbidden: tuple[str, ...] = ()

    def request(self, key: str) -> dict[str, Any]:
        """The part of a check request that carries these terms (JSON-safe), and the
        witness's key."""
        return {"check": base64.b64encode(self.check_source).decode("ascii"),
                "exercise": base64.b64encode(self.exercise_source).decode("ascii"),
                "key": key, "forbidden": list(self.forbidden)}


def unseal(sealed: dict[str, Any]) -> tuple[bytes, bytes]:
    """(check source, exercise source), taken out of a request's sealed part."""
    return (base64.b64decode(sealed.pop("check")), base64.b64decode(sealed.pop("exercise")))


@dataclass(frozen=True)
class CheckJob:
    check_file: Path
    exercise_file: Path
    timeout: float = DEFAULT_TIMEOUT
    # Where forking a warm worker would be unsafe (CUDA), engines use a fresh process.
    needs_fresh_process: bool = False
    # The check file differs from the shipped one. Decided by the caller (the
    # learner's side knows where the shipped course is); the engine copies it
    # onto the result so every surface can say so.
    check_modified: bool = False
    # Set by `torchlings grade` only: see Sealed.
    sealed: Sealed | None = None

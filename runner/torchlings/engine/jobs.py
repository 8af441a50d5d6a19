"""What the callers hand an engine: which check, on which file, for how long."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 10.0

# Called with every series a check has recorded so far (see Engine.check).
SeriesCallback = Callable[[dict[str, list[float]]], None]


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

"""The app's state, in small records: each is replaced whole, never edited in place.

The app holds each in one reactive attribute, so a screen that watches it
redraws once per change and always sees a consistent whole (a check-all run's
results never without its state).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from torchlings.course import Exercise
from torchlings.engine import CheckResult
from torchlings.learner.progress import CourseCheck

RunState = Literal["running", "stopping", "finished", "stopped"]


@dataclass(frozen=True)
class CheckAllRun:
    """One "check all": what it checks, how far it got, and how it ended."""

    exercises: tuple[Exercise, ...]
    # The re-check of every exercise before the course is called complete.
    final: bool = False
    state: RunState = "running"
    results: Mapping[int, CheckResult] = field(default_factory=dict)  # by index in `exercises`
    course: CourseCheck | None = None  # the final re-check's verdict, once it is in
    # It waits for the single check in flight, and starts when that is back.
    waiting: bool = False
    # Set to stop: check_many drops the checks not yet started.
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)

    @property
    def running(self) -> bool:
        return self.state in ("running", "stopping")

    @property
    def finished(self) -> bool:
        return self.state in ("finished", "stopped")

    def with_result(self, index: int, result: CheckResult) -> CheckAllRun:
        return replace(self, results={**self.results, index: result})

    def ended(self, cancelled: bool, course: CourseCheck | None) -> CheckAllRun:
        return replace(self, state="stopped" if cancelled else "finished", course=course,
                       waiting=False)


@dataclass(frozen=True)
class Hints:
    """The hints on screen for the current exercise."""

    shown: int = 0
    visible: bool = False


@dataclass(frozen=True)
class Solution:
    """The reference solution of an exercise that passed, read off the UI thread."""

    exercise: Exercise
    text: str
    local: Path | None  # the workspace's own copy, for a link; None when it has none

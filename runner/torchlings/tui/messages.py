"""What the producers tell the app: the watcher, the engine and the check workers.

Producers run on their own threads and only post these; the app handles them on
its own loop (`@on`), updates its reactive state, and the screens redraw what
they watch. Nothing else crosses from a thread into the UI.
"""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from torchlings.course import Exercise
from torchlings.engine import CheckResult
from torchlings.tui.state import Solution


class FileChanged(Message):
    """The watcher saw a real change (new content) of the file it follows."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class WatchStopped(Message):
    """The watcher could not go on following saves; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ShippedCopySaved(Message):
    """The shipped copy of the current exercise (a clone's exercises/...) was saved."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class WorkspaceGone(Message):
    """The workspace folder was deleted (or moved away) while the screen ran."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder


class EngineReady(Message):
    """The engine finished warming up, or gave up (then `engine.startup_error` says why)."""


class CheckStarted(Message):
    def __init__(self, exercise: Exercise) -> None:
        super().__init__()
        self.exercise = exercise


class SeriesUpdated(Message):
    """The whole series so far of a check that is still running (a live curve)."""

    def __init__(self, exercise: Exercise, series: dict[str, list[float]]) -> None:
        super().__init__()
        self.exercise = exercise
        self.series = series


class CheckFinished(Message):
    def __init__(self, exercise: Exercise, result: CheckResult) -> None:
        super().__init__()
        self.exercise = exercise
        self.result = result


class SolutionRead(Message):
    """The reference solution of the current exercise, read by a worker after a pass."""

    def __init__(self, solution: Solution) -> None:
        super().__init__()
        self.solution = solution


class CheckAllProgress(Message):
    """One exercise of "check all" came back (index into the exercises checked)."""

    def __init__(self, index: int, exercise: Exercise, result: CheckResult) -> None:
        super().__init__()
        self.index = index
        self.exercise = exercise
        self.result = result


class CheckAllFinished(Message):
    def __init__(self, cancelled: bool) -> None:
        super().__init__()
        self.cancelled = cancelled

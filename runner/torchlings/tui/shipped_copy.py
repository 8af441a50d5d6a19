"""Noticing a save to the shipped copy of the current exercise.

From a clone's root, `exercises/...` is the course's shipped copy, beside the
learner's own in ./workspace. An editor opened from there edits the wrong file
and nothing would change on screen: this follows that copy too, so the watch
screen can say which file to edit instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from torchlings.course import Exercise
from torchlings.learner.locate import is_course_repository
from torchlings.learner.watcher import ExerciseWatcher
from torchlings.learner.workspace import Workspace


class ShippedCopyWatch:
    def __init__(self, workspace: Workspace, on_save: Callable[[Path], None],
                 poll: bool = False) -> None:
        repository = workspace.root.parent
        self.watcher: ExerciseWatcher | None = None
        self.repository = repository
        if is_course_repository(repository) and (repository / "exercises").is_dir():
            self.watcher = ExerciseWatcher(repository / "exercises", on_save, poll=poll)

    def follow(self, exercise: Exercise) -> None:
        if self.watcher is not None:
            self.watcher.follow(self.repository / exercise.exercise_rel)

    def start(self) -> None:
        if self.watcher is not None:
            try:
                self.watcher.start()
            except Exception:  # a second watch is a courtesy: never stop the screen for it
                self.watcher = None

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

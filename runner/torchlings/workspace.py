"""A learner's workspace: the course, their progress, and the actions on them.

The CLI and the watch screen both go through this, so `run`, `hint`, `reset`
and the keys of the TUI behave the same way.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from torchlings import shipped
from torchlings.course import Course, Exercise, find_root, load_course
from torchlings.engine import CheckJob, CheckResult, Status
from torchlings.engine.jobs import DEFAULT_TIMEOUT
from torchlings.state import STATE_DIR, State, StateStore


@dataclass
class Workspace:
    course: Course
    store: StateStore
    state: State

    @classmethod
    def open(cls, start: Path | None = None) -> Workspace:
        root = find_root(start)
        course = load_course(root)
        store = StateStore.for_workspace(root)
        state = store.load()
        known = {e.name for e in course.exercises}
        # Names that left the catalog stay in the file untouched (a later
        # version may bring them back); they simply do not count here.
        if state.current not in known:
            state.current = None
        return cls(course, store, state)

    @property
    def root(self) -> Path:
        return self.course.root

    @property
    def warnings(self) -> list[str]:
        return self.store.warnings

    # --- progress --------------------------------------------------------

    def is_done(self, exercise: Exercise) -> bool:
        return exercise.name in self.state.done

    @property
    def done_count(self) -> int:
        return sum(self.is_done(e) for e in self.course.exercises)

    def current(self) -> Exercise:
        if self.state.current:
            found = self.course.by_name(self.state.current)
            if found is not None:
                return found
        return self.next_pending() or self.course.exercises[-1]

    def next_pending(self, after: Exercise | None = None) -> Exercise | None:
        """The first exercise not done, looking after `after` first, then wrapping."""
        exercises = self.course.exercises
        start = after.number if after is not None else 0
        for exercise in (*exercises[start:], *exercises[:start]):
            if not self.is_done(exercise):
                return exercise
        return None

    def set_current(self, exercise: Exercise) -> None:
        self.state.current = exercise.name
        self.save()

    def record(self, exercise: Exercise, result: CheckResult) -> None:
        """Remember a verdict: a pass marks the exercise done, a failure undoes that."""
        if result.status is Status.PASSED:
            self.state.done.add(exercise.name)
        elif result.status in (Status.FAILED, Status.NOT_DONE, Status.ERROR):
            self.state.done.discard(exercise.name)
        self.save()

    def save(self) -> bool:
        return self.store.save(self.state)

    # --- hints -----------------------------------------------------------

    def hints_seen(self, exercise: Exercise) -> int:
        return min(self.state.hints_seen.get(exercise.name, 0), len(exercise.hints))

    def reveal_hint(self, exercise: Exercise) -> int:
        """Reveal one more hint; returns how many are now seen."""
        seen = min(self.hints_seen(exercise) + 1, len(exercise.hints))
        self.state.hints_seen[exercise.name] = seen
        self.save()
        return seen

    # --- files -----------------------------------------------------------

    def exercise_path(self, exercise: Exercise) -> Path:
        return self.course.exercise_path(exercise)

    def job(self, exercise: Exercise) -> CheckJob:
        return CheckJob(
            check_file=self.course.check_path(exercise),
            exercise_file=self.exercise_path(exercise),
            timeout=exercise.timeout or DEFAULT_TIMEOUT,
            needs_fresh_process="cuda" in exercise.requires,
        )

    def reset(self, exercise: Exercise) -> Path | None:
        """Put the shipped exercise back; returns the backup of what it replaced, if any."""
        original = shipped.read_shipped(exercise.exercise_rel, self.root)
        if original is None:
            raise FileNotFoundError(
                f"The shipped version of {exercise.exercise_rel} could not be found; "
                "reinstall torchlings to bring the course back."
            )
        target = self.exercise_path(exercise)
        backup = None
        if target.exists():
            if target.read_bytes() == original:
                return None
            backups = self.root / STATE_DIR / "backups"
            backups.mkdir(parents=True, exist_ok=True)
            backup = backups / f"{exercise.name}-{time.strftime('%Y%m%d-%H%M%S')}.py"
            shutil.copy2(target, backup)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.torchlings-reset")
        tmp.write_bytes(original)
        tmp.replace(target)
        self.state.done.discard(exercise.name)
        self.save()
        return backup

    def solution_text(self, exercise: Exercise) -> str | None:
        local = self.root / exercise.solution_rel
        if local.is_file():
            return local.read_text(encoding="utf-8")
        data = shipped.read_shipped(exercise.solution_rel, self.root)
        return data.decode("utf-8") if data is not None else None

    def edited_checks(self) -> list[Exercise]:
        """Exercises whose check file differs from the shipped one."""
        edited = []
        for exercise in self.course.exercises:
            original = shipped.read_shipped(exercise.check_rel, self.root)
            path = self.course.check_path(exercise)
            if original is not None and path.is_file() and path.read_bytes() != original:
                edited.append(exercise)
        return edited

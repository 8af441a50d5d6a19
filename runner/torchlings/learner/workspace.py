"""A learner's workspace: the course, their progress, and the actions on them.

The CLI and the watch screen both go through this, so `run`, `hint`, `reset`
and the keys of the TUI behave the same way.

The progression policy lives here and nowhere else (`record`, `course_check`),
reading what each verdict does from the verdict table (vocabulary.VERDICTS):

- PASSED marks the exercise done; the learner may move on.
- SKIPPED ("not checked here", e.g. it needs CUDA and there is none) leaves
  progress as it was: not marked done, not undone. The learner may move on.
- FAILED, NOT_DONE, ERROR, TIMEOUT and CRASHED undo "done": the code as it is
  now does not pass, whatever it did before. The learner stays.
- FAULT (torchlings itself failed to run the check) judged nothing: progress
  stays as it was. The learner stays.
- "Next" is the first exercise after this one (wrapping round) that is not
  done, never this one.
- The final re-check: when a verdict lets the learner move on, nothing else is
  left to do, and the verdict changed something (a new pass, or a skip), every
  exercise is checked once more before the course is called complete. It is
  complete when every exercise passes or is skipped here; otherwise the
  learner goes to the first one that does not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from torchlings.course import Course, Exercise, load_course
from torchlings.engine import DEFAULT_TIMEOUT, CheckJob, CheckResult, Status
from torchlings.learner import shipped
from torchlings.learner.locate import learner_root
from torchlings.learner.progress import (
    Complete,
    CourseCheck,
    MoveOn,
    Progress,
    RecheckCourse,
    Stay,
    Step,
)
from torchlings.learner.state import STATE_DIR, State, StateStore, atomic_write, workspace_gone_message
from torchlings.vocabulary import VERDICTS, counts_as_done


def check_timeout(exercise: Exercise) -> float:
    """The seconds a check of `exercise` may take (the watch screen shows it while it runs)."""
    return exercise.timeout or DEFAULT_TIMEOUT


def job_for(course: Course, exercise: Exercise, exercise_file: Path | None = None) -> CheckJob:
    """The one way to build a check job: the exercise's check, timeout and CUDA routing.

    `exercise_file` replaces the learner's file (dev check runs solutions and variants).
    """
    return CheckJob(
        check_file=course.check_path(exercise),
        exercise_file=exercise_file or course.exercise_path(exercise),
        timeout=check_timeout(exercise),
        # Forking a warm worker is unsafe for CUDA: those checks get a fresh process.
        needs_fresh_process="cuda" in exercise.requires,
        check_modified=shipped.differs_from_shipped(course.root, exercise.check_rel),
    )


@dataclass
class Workspace:
    course: Course
    store: StateStore
    state: State
    note: str | None = None  # said once: the workspace is not the folder the command started in
    # `verify` records verdicts from its worker threads. A save merges and then
    # writes the result back into `state`: a change made by another thread in
    # between would be wiped, so every change and its save hold this lock.
    _changing: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def open(cls, start: Path | None = None) -> Workspace:
        root, note = learner_root(start)
        course = load_course(root)
        store = StateStore.for_workspace(root)
        state = store.load()
        known = {e.name for e in course.exercises}
        # Names that left the catalog stay in the file untouched (a later
        # version may bring them back); they simply do not count here.
        if state.current not in known:
            state.current = None
        return cls(course, store, state, note)

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

    def next_after(self, exercise: Exercise) -> Exercise | None:
        """Where "next" goes from `exercise`: the next one not done, never itself."""
        following = self.next_pending(after=exercise)
        return None if following == exercise else following

    def set_current(self, exercise: Exercise) -> None:
        with self._changing:
            self.state.current = exercise.name
            self.save()

    def record(self, exercise: Exercise, result: CheckResult, save: bool = True) -> Progress:
        """Remember a verdict and say what it means (the policy in the module docstring).

        `save=False` leaves writing it to disk to a `save()` the caller makes
        soon after (the watch screen: once the verdict is on the screen).
        """
        with self._changing:
            was_done = self.is_done(exercise)
            verdict = VERDICTS[result.status]
            if verdict.marks_done:
                self.state.done.add(exercise.name)
            elif verdict.undoes_done:
                self.state.done.discard(exercise.name)
            if save:
                self.save()
            done = self.is_done(exercise)
        return Progress(exercise=exercise, status=result.status, done=done,
                        newly_done=done and not was_done,
                        step=self._step(exercise, result.status, changed=done != was_done))

    def _step(self, exercise: Exercise, status: Status, *, changed: bool) -> Step:
        if not VERDICTS[status].counts_as_done:
            return Stay()
        following = self.next_after(exercise)
        if following is not None:
            return MoveOn(following)
        # A skip "changes something" too: it may be the last exercise left open.
        return RecheckCourse() if changed or status is Status.SKIPPED else Complete()

    def go(self, outcome: Progress | CourseCheck) -> Exercise | None:
        """Move "current" where a verdict or the final re-check says; returns it (None: stay).

        The one place that decides where the learner goes next. After a verdict
        the place moves only from the exercise that was judged (`run 07` on
        another exercise leaves the learner where they were); after the final
        re-check it goes to the first exercise that needs work.
        """
        if isinstance(outcome, CourseCheck):
            target = outcome.first_failing
        else:
            target = outcome.next
            if self.state.current not in (None, outcome.exercise.name):
                return target
        if target is not None and self.state.current != target.name:
            self.set_current(target)
        return target

    def final_recheck(self, results: Sequence[CheckResult]) -> CourseCheck:
        """Record a re-check of every exercise (results in course order) and judge it."""
        pairs = list(zip(self.course.exercises, results, strict=True))
        for exercise, result in pairs:
            self.record(exercise, result)
        return self.course_check(pairs)

    def course_check(self, results: Sequence[tuple[Exercise, CheckResult]]) -> CourseCheck:
        """Judge the final re-check (each result already `record`ed) and move to what needs work."""
        verdicts = {exercise.name: result for exercise, result in results}
        failing = tuple(
            e for e in self.course.exercises
            if e.name not in verdicts or not counts_as_done(verdicts[e.name].status)
        )
        check = CourseCheck(complete=not failing, failing=failing)
        self.go(check)
        return check

    def save(self) -> bool:
        with self._changing:
            return self.store.save(self.state)

    # --- hints -----------------------------------------------------------

    def hints_seen(self, exercise: Exercise) -> int:
        return min(self.state.hints_seen.get(exercise.name, 0), len(exercise.hints))

    def reveal_hint(self, exercise: Exercise) -> int:
        """Reveal one more hint; returns how many are now seen."""
        with self._changing:
            seen = min(self.hints_seen(exercise) + 1, len(exercise.hints))
            self.state.hints_seen[exercise.name] = seen
            self.save()
        return seen

    # --- files -----------------------------------------------------------

    def exercise_path(self, exercise: Exercise) -> Path:
        return self.course.exercise_path(exercise)

    def job(self, exercise: Exercise) -> CheckJob:
        """The check job for the learner's file (see `job_for`)."""
        return job_for(self.course, exercise)

    def reset(self, exercise: Exercise) -> Path | None:
        """Put the shipped exercise back; returns the backup of what it replaced, if any."""
        original = shipped.read_shipped(exercise.exercise_rel, self.root)
        if original is None:
            raise FileNotFoundError(
                f"The shipped version of {exercise.exercise_rel} could not be found; "
                "reinstall torchlings to bring the course back."
            )
        if self.store.gone:
            # Making the backups folder would bring a deleted workspace back, half empty.
            raise FileNotFoundError(workspace_gone_message(self.root))
        target = self.exercise_path(exercise)
        backup = None
        if target.exists():
            mine = target.read_bytes()
            if mine == original:
                return None
            backups = self.root / STATE_DIR / "backups"
            backups.mkdir(parents=True, exist_ok=True)
            backup = backups / f"{exercise.name}-{time.strftime('%Y%m%d-%H%M%S')}.py"
            try:
                # Whole or not at all: a full disk must not leave an empty "backup".
                atomic_write(backup, mine)
            except OSError as exc:
                raise OSError(f"Could not keep a backup of {exercise.exercise_rel} "
                              f"({exc.strerror or exc}), so it was not reset.") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.torchlings-reset")
        tmp.write_bytes(original)
        tmp.replace(target)
        self.state.done.discard(exercise.name)
        self.save()
        return backup

    def restore_check(self, exercise: Exercise) -> bool:
        """Put the shipped check back if it is missing (learner code can delete it);
        True if it was put back. An edited check is left alone: that is `edited_checks`'."""
        path = self.course.check_path(exercise)
        if path.exists():
            return False
        original = shipped.read_shipped(exercise.check_rel, self.root)
        if original is None:
            raise FileNotFoundError(
                f"The shipped version of {exercise.check_rel} could not be found; "
                "reinstall torchlings to bring the course back.")
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, original)
        return True

    def solution_text(self, exercise: Exercise) -> str | None:
        local = self.root / exercise.solution_rel
        if local.is_file():
            return local.read_text(encoding="utf-8")
        data = shipped.read_shipped(exercise.solution_rel, self.root)
        return data.decode("utf-8") if data is not None else None

    def edited_checks(self) -> list[Exercise]:
        """Exercises whose check file differs from the shipped one."""
        return [e for e in self.course.exercises
                if shipped.differs_from_shipped(self.root, e.check_rel)]

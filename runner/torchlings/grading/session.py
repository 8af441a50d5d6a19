"""One grade: every learner's exercises, judged with the pinned course on one warm engine.

For each workspace, only the exercise files the installed catalog names are
read (learner_files), before any learner code runs; with the course's checks
they are written into a fresh private folder per learner, and each check
runs sealed (engine/jobs.Sealed): the check and the exercise are compiled
from those bytes, under the witness. Nothing of a workspace is executed
but its exercise files, inside check processes; nothing there is written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from torchlings.course import Exercise
from torchlings.engine import (
    DEFAULT_TIMEOUT,
    CheckJob,
    CheckResult,
    Engine,
    Sealed,
    Status,
    TestOutcome,
    check_many,
)
from torchlings.grading.course_source import PinnedCourse
from torchlings.grading.learner_files import read_learner_file
from torchlings.grading.suspicion import scan

PRIVATE_PREFIX = "torchlings-grade-"
PLACEHOLDER = b"# This check runs from the bytes the grader read from the installed course.\n"


@dataclass
class ExerciseGrade:
    exercise: Exercise
    result: CheckResult
    # What the scan of the source found, then what the witness reported.
    reasons: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.result.status is Status.PASSED

    @property
    def suspicious(self) -> bool:
        return bool(self.reasons)


@dataclass
class LearnerGrade:
    learner: str
    workspace: Path
    exercises: list[ExerciseGrade]

    @property
    def passed(self) -> int:
        return sum(e.passed for e in self.exercises)

    @property
    def suspicious(self) -> int:
        return sum(e.suspicious for e in self.exercises)


@dataclass
class Grade:
    course: PinnedCourse
    learners: list[LearnerGrade]
    # The installation (package or course) changed while learner code ran.
    installation_changed: bool = False


def learner_labels(workspaces: Sequence[Path]) -> list[str]:
    """A name per workspace: its folder's name, made unique where two share one."""
    labels: list[str] = []
    for path in workspaces:
        base = Path(os.path.abspath(path)).name or "workspace"
        label, n = base, 2
        while label in labels:
            label, n = f"{base}-{n}", n + 1
        labels.append(label)
    return labels


def _normalised(source: bytes) -> list[bytes]:
    return [line.rstrip() for line in source.splitlines() if line.strip()]


def _missing(message: str) -> CheckResult:
    problem = TestOutcome(name="reading the learner's file", outcome="error",
                          exc_type="NotGradable", message=message)
    return CheckResult(Status.ERROR, summary=message, problem=problem)


class _Plan:
    """The private folders, the jobs, and the results known before any check runs."""

    def __init__(self, course: PinnedCourse, workspaces: Sequence[Path]) -> None:
        self.course = course
        self.private = Path(tempfile.mkdtemp(prefix=PRIVATE_PREFIX))
        self.learners: list[LearnerGrade] = []
        self.jobs: list[CheckJob] = []
        self.slots: list[ExerciseGrade] = []  # the grade each job's result goes into
        for index, (label, workspace) in enumerate(zip(learner_labels(workspaces), workspaces,
                                                       strict=True)):
            home = self.private / str(index)
            grades = [self._prepare(home, Path(workspace), e) for e in course.course.exercises]
            self.learners.append(LearnerGrade(label, Path(workspace), grades))

    def _prepare(self, home: Path, workspace: Path, exercise: Exercise) -> ExerciseGrade:
        learner = read_learner_file(workspace, exercise.exercise_rel)
        if learner.source is None:
            return ExerciseGrade(exercise, _missing(learner.problem))
        reasons = scan(learner.source)
        solution = self.course.solutions.get(exercise.name)
        if solution is not None and _normalised(solution) == _normalised(learner.source):
            reasons.append("is the shipped reference solution, unchanged")
        check = self.course.checks[exercise.name]
        check_file, exercise_file = home / exercise.check_rel, home / exercise.exercise_rel
        # The files are there for pytest to collect and for tracebacks; both run
        # from the bytes in the job. The check's file holds nothing to copy from.
        for path, data in ((check_file, PLACEHOLDER), (exercise_file, learner.source)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        grade = ExerciseGrade(exercise, _missing("not checked"), reasons)
        self.jobs.append(CheckJob(
            check_file=check_file, exercise_file=exercise_file,
            timeout=exercise.timeout or DEFAULT_TIMEOUT,
            needs_fresh_process="cuda" in exercise.requires,
            sealed=Sealed(check, learner.source, self.course.forbidden)))
        self.slots.append(grade)
        return grade

    def close(self) -> None:
        shutil.rmtree(self.private, ignore_errors=True)


def installation_digest(course: PinnedCourse) -> str:
    """A hash of the torchlings package and the course: learner code must change neither."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    roots = [package, course.root / "checks", course.root / "solutions",
             course.root / "exercises" / "info.toml"]
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*")
                                                     if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(str(path).encode())
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()


def grade(course: PinnedCourse, workspaces: Sequence[Path],
          engine_factory: Callable[[], AbstractContextManager[Engine]], *, workers: int = 2,
          on_result: Callable[[LearnerGrade, ExerciseGrade], None] | None = None) -> Grade:
    """Judge every exercise of every workspace; `on_result` as each one is in (any thread)."""
    before = installation_digest(course)
    plan = _Plan(course, workspaces)
    owner = {id(g): learner for learner in plan.learners for g in learner.exercises}
    # The engine's processes start here, not in a learner's checkout: Python
    # puts the working folder on the path, and a checkout could hold a `torch`.
    here = os.getcwd()
    os.chdir(plan.private)
    try:
        if on_result is not None:  # those with no file to check are known already
            queued = {id(slot) for slot in plan.slots}
            for learner in plan.learners:
                for exercise_grade in learner.exercises:
                    if id(exercise_grade) not in queued:
                        on_result(learner, exercise_grade)

        def finished(index: int, result: CheckResult) -> None:
            slot = plan.slots[index]
            slot.result = result
            slot.reasons.extend(r for r in result.suspicions if r not in slot.reasons)
            if on_result is not None:
                on_result(owner[id(slot)], slot)

        if plan.jobs:
            with engine_factory() as engine:
                check_many(engine, plan.jobs, workers=workers, on_result=finished)
    finally:
        os.chdir(here)
        plan.close()
    return Grade(course, plan.learners, installation_changed=installation_digest(course) != before)

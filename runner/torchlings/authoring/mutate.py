"""`torchlings dev mutate`: does each check catch small mistakes it was never shown?

Every mutant of a solution (see mutants.py) is run through the exercise's
check, like a learner's attempt. A mutant that fails is killed; one that
passes survived: either the check has a gap, or the mutant behaves exactly
like the solution. Those are declared in the exercise's variants file:

    [[equivalent]]
    mutant = "3f2a9c01be"   # the key `dev mutate` prints
    reason = "dim 1 and -1 are the same dim of a (B, A) tensor"

A declaration whose mutant no longer exists is reported too, so the list
never goes stale.
"""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torchlings.authoring.mutants import Mutant, mutants
from torchlings.course import Course, Exercise
from torchlings.engine import DEFAULT_TIMEOUT, CheckResult, Engine, Status, check_many
from torchlings.learner.workspace import job_for

# Checks that train an agent or compile for seconds are too slow to run once per
# mutant; their known-wrong variants stand for the mistakes instead.
SLOW_TIMEOUT = 30.0
# Verdicts that show a mutant behaves differently from the solution.
REFUTING = (Status.FAILED, Status.NOT_DONE, Status.ERROR)


@dataclass
class MutantVerdict:
    mutant: Mutant
    result: CheckResult | None
    equivalent: str = ""  # the declared reason, when declared

    @property
    def survived(self) -> bool:
        return self.result is not None and self.result.status is Status.PASSED


@dataclass
class MutationReport:
    exercise: Exercise
    verdicts: list[MutantVerdict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: str = ""

    @property
    def killed(self) -> int:
        return sum(not v.survived for v in self.verdicts)

    @property
    def survivors(self) -> list[MutantVerdict]:
        """Mutants that passed the check and are not declared equivalent."""
        return [v for v in self.verdicts if v.survived and not v.equivalent]

    @property
    def equivalents(self) -> list[MutantVerdict]:
        return [v for v in self.verdicts if v.survived and v.equivalent]

    @property
    def clean(self) -> bool:
        return not self.survivors and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.exercise.name,
            "number": self.exercise.label,
            "mutants": len(self.verdicts),
            "killed": self.killed,
            "equivalent": len(self.equivalents),
            "survivors": [
                {"key": v.mutant.key, "line": v.mutant.line, "operator": v.mutant.operator,
                 "diff": v.mutant.diff(self.exercise.exercise_rel.name)}
                for v in self.survivors
            ],
            "skipped": self.skipped,
            "problems": list(self.problems),
        }


def declared_equivalents(path: Path) -> tuple[dict[str, str], list[str]]:
    """The `[[equivalent]]` entries of a variants file: key -> reason, and problems."""
    if not path.is_file():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        return {}, [f"{path.name} cannot be read: {exc}"]
    declared: dict[str, str] = {}
    problems: list[str] = []
    for index, entry in enumerate(data.get("equivalent", []), start=1):
        key, reason = str(entry.get("mutant", "")).strip(), str(entry.get("reason", "")).strip()
        if not key or not reason:
            problems.append(f"equivalent #{index} needs both `mutant` and `reason`")
            continue
        declared[key] = reason
    return declared, problems


def mutate_exercise(
    course: Course, engine: Engine, exercise: Exercise, scratch: Path, workers: int = 2
) -> MutationReport:
    report = MutationReport(exercise)
    exercise_file = course.root / exercise.exercise_rel
    solution_file = course.root / exercise.solution_rel
    check_file = course.root / exercise.check_rel
    timeout = exercise.timeout or DEFAULT_TIMEOUT
    if timeout > SLOW_TIMEOUT:
        report.skipped = (f"a slow check (timeout {timeout:g} s: it trains or compiles), too slow to run "
                          "per mutant; its known-wrong variants cover it")
        return report
    if "cuda" in exercise.requires:
        report.skipped = "needs CUDA: its check cannot run here"
        return report
    if not (exercise_file.is_file() and solution_file.is_file() and check_file.is_file()):
        report.problems.append("the exercise, its solution or its check is missing")
        return report

    declared, report.problems = declared_equivalents(course.root / exercise.variants_rel)
    found = mutants(exercise_file.read_text(encoding="utf-8"), solution_file.read_text(encoding="utf-8"))
    folder = scratch / exercise.name
    jobs = []
    for index, mutant in enumerate(found):
        # The mutant keeps the exercise's file name, as a learner's file would.
        target = folder / f"m{index}" / exercise_file.name
        target.parent.mkdir(parents=True)
        target.write_text(mutant.source, encoding="utf-8")
        jobs.append(job_for(course, exercise, target))
    results = check_many(engine, jobs, workers=workers)
    report.verdicts = [
        MutantVerdict(mutant, result, declared.get(mutant.key, ""))
        for mutant, result in zip(found, results, strict=True)
    ]
    keys = {m.key for m in found}
    for key in declared:
        if key not in keys:
            report.problems.append(f"equivalent mutant {key} is declared but no longer made: remove it")
    for verdict in report.verdicts:
        # Only a failing test proves a declared mutant is not equivalent: a timeout
        # or a crash on a loaded machine says nothing about its behaviour.
        if verdict.equivalent and verdict.result is not None and verdict.result.status in REFUTING:
            report.problems.append(
                f"mutant {verdict.mutant.key} is declared equivalent but the check kills it: remove it"
            )
    return report


def run_mutation(
    course: Course,
    engine: Engine,
    exercises: list[Exercise],
    *,
    workers: int = 2,
    on_exercise: Callable[[MutationReport], None] | None = None,
) -> list[MutationReport]:
    reports = []
    with tempfile.TemporaryDirectory(prefix="torchlings-mutate-") as scratch:
        for exercise in exercises:
            report = mutate_exercise(course, engine, exercise, Path(scratch), workers)
            reports.append(report)
            if on_exercise is not None:
                on_exercise(report)
    return reports

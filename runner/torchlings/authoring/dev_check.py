"""`torchlings dev check`: proof that every exercise is sound.

For each exercise: the catalog and the files agree both ways, hints are
there, the exercise has a TODO, the shipped exercise fails its check, the
solution passes, every known-wrong variant fails and every known-right
variant passes. Variants are edits of the solution, kept in
tests/variants/<dir>/<name>.toml (see docs/AUTHORING.md). A wrong variant's
`says` phrase must be in the first failure the learner reads (authoring/says.py);
wrong variants without one are listed as warnings.
"""

from __future__ import annotations

import dataclasses
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torchlings.authoring.says import says_it
from torchlings.course import Course, Exercise
from torchlings.engine import CheckJob, CheckResult, Engine, Status, check_many
from torchlings.learner.workspace import job_for

# A shipped exercise or a wrong variant must fail the way a learner's
# attempt fails: a failing test or an open TODO. An import error, a timeout
# or a crash means the exercise (or variant) itself is broken.
HONEST_FAILURES = (Status.FAILED, Status.NOT_DONE)


@dataclass
class Variant:
    kind: str  # "wrong" | "right"
    label: str  # the mistake it stands for, or the approach it takes
    source: str | None  # None when the edits could not be applied
    problem: str = ""
    says: str = ""  # wrong only: a phrase the learner's first failure must contain


@dataclass
class VariantVerdict:
    variant: Variant
    result: CheckResult | None

    @property
    def ok(self) -> bool:
        if self.variant.source is None or self.result is None:
            return False
        if self.variant.kind == "wrong":
            return self.fails_honestly and self.says_it
        return self.result.status is Status.PASSED

    @property
    def fails_honestly(self) -> bool:
        return self.result is not None and self.result.status in HONEST_FAILURES

    @property
    def says_it(self) -> bool:
        """No `says` to prove, or the learner's first failure contains it."""
        return not self.variant.says or says_it(self.result, self.variant.says)


@dataclass
class ExerciseReport:
    exercise: Exercise
    problems: list[str] = field(default_factory=list)
    exercise_result: CheckResult | None = None
    solution_result: CheckResult | None = None
    variants: list[VariantVerdict] = field(default_factory=list)
    skipped: str = ""  # why the check skipped (e.g. no compiler): reported, not hidden
    unharnessed: bool = False  # the solution's check never went through testkit.harness

    @property
    def missing_says(self) -> list[str]:
        """Wrong variants whose message is not yet proven (a warning, not a problem)."""
        return [v.variant.label for v in self.variants
                if v.variant.kind == "wrong" and not v.variant.says]

    @property
    def sound(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        wrong = [v for v in self.variants if v.variant.kind == "wrong"]
        right = [v for v in self.variants if v.variant.kind == "right"]
        return {
            "name": self.exercise.name,
            "number": self.exercise.label,
            "sound": self.sound,
            "exercise_fails": self.exercise_result is not None
            and self.exercise_result.status in HONEST_FAILURES,
            "solution_passes": self.solution_result is not None
            and self.solution_result.status is Status.PASSED,
            "wrong_variants": {"total": len(wrong), "rejected": sum(v.ok for v in wrong)},
            "right_variants": {"total": len(right), "accepted": sum(v.ok for v in right)},
            "skipped": self.skipped,
            "problems": list(self.problems),
            "missing_says": self.missing_says,
            "harnessed": not self.unharnessed,
        }


def load_variants(path: Path, solution: str) -> list[Variant]:
    """Read a variants file and apply each variant's edits to the solution."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    variants: list[Variant] = []
    for kind, label_key in (("wrong", "mistake"), ("right", "approach")):
        for index, entry in enumerate(data.get(kind, []), start=1):
            label = str(entry.get(label_key, "")).strip() or f"{kind} #{index} (unnamed)"
            source, problem = apply_edits(solution, entry.get("replace", []))
            if not entry.get(label_key):
                problem = problem or f"`{label_key}` is missing: say what this variant stands for"
            says = entry.get("says", "")
            if not isinstance(says, str) or (kind == "right" and says):
                problem = problem or "`says` is a phrase, and only a wrong variant has one"
                says = ""
            variants.append(Variant(kind, label, source, problem, says.strip()))
    return variants


def apply_edits(solution: str, edits: list[dict[str, Any]]) -> tuple[str | None, str]:
    if not edits:
        return None, "no `replace` edits"
    text = solution
    for number, edit in enumerate(edits, start=1):
        old, new = edit.get("old"), edit.get("new")
        if not isinstance(old, str) or not isinstance(new, str) or not old:
            return None, f"edit {number} needs string `old` and `new`"
        count = text.count(old)
        if count != 1:
            found = "does not occur" if count == 0 else f"occurs {count} times"
            return None, f"edit {number}: `old` {found} in the solution"
        text = text.replace(old, new)
    return text, ""


def catalog_problems(course: Course) -> list[str]:
    """Files without a catalog entry, in any of the three trees."""
    problems = []
    known = {
        "exercises": {e.exercise_rel for e in course.exercises},
        "checks": {e.check_rel for e in course.exercises},
        "solutions": {e.solution_rel for e in course.exercises},
    }
    for tree, expected in known.items():
        base = course.root / tree
        if not base.is_dir():
            continue
        for path in sorted(base.glob("*/*.py")):
            rel = path.relative_to(course.root)
            if path.name.startswith("_") or path.name == "conftest.py":
                continue
            if rel not in expected:
                problems.append(f"{rel} is not in exercises/info.toml")
    return problems


def run_dev_check(
    course: Course,
    engine: Engine,
    exercises: list[Exercise],
    *,
    workers: int = 2,
    on_exercise: Callable[[ExerciseReport], None] | None = None,
) -> tuple[list[ExerciseReport], list[str]]:
    """Check the given exercises; returns per-exercise reports and course-wide problems."""
    course_problems = catalog_problems(course) if len(exercises) == len(course.exercises) else []
    reports: list[ExerciseReport] = []
    with tempfile.TemporaryDirectory(prefix="torchlings-dev-") as scratch:
        for exercise in exercises:
            report = _check_exercise(course, engine, exercise, Path(scratch), workers)
            reports.append(report)
            if on_exercise is not None:
                on_exercise(report)
    return reports, course_problems


def _check_exercise(
    course: Course, engine: Engine, exercise: Exercise, scratch: Path, workers: int
) -> ExerciseReport:
    report = ExerciseReport(exercise)
    files = _Files.of(course, exercise)
    report.problems.extend(_file_problems(files, exercise))
    if not files.runnable:
        return report
    variants = _read_variants(files, exercise, report)
    _run_checks(course, files, exercise, variants, engine, scratch / exercise.name, workers, report)
    assert report.exercise_result is not None and report.solution_result is not None
    if Status.SKIPPED in (report.exercise_result.status, report.solution_result.status):
        report.skipped = report.solution_result.summary or report.exercise_result.summary
        return report
    report.unharnessed = (report.solution_result.status is Status.PASSED
                          and not report.solution_result.contracts)
    report.problems.extend(_verdict_problems(report))
    report.problems.extend(_variant_problems(report, variants))
    return report


@dataclass(frozen=True)
class _Files:
    root: Path
    exercise: Path
    check: Path
    solution: Path
    variants: Path

    @classmethod
    def of(cls, course: Course, exercise: Exercise) -> _Files:
        root = course.root
        return cls(root, root / exercise.exercise_rel, root / exercise.check_rel,
                   root / exercise.solution_rel, root / exercise.variants_rel)

    @property
    def runnable(self) -> bool:
        return self.exercise.is_file() and self.check.is_file() and self.solution.is_file()


def _file_problems(files: _Files, exercise: Exercise) -> list[str]:
    """Missing files, too few hints, no TODO: what is wrong before anything runs."""
    problems = [
        f"the {label} file {path.relative_to(files.root)} is missing"
        for label, path in (("exercise", files.exercise), ("check", files.check),
                            ("solution", files.solution), ("variants", files.variants))
        if not path.is_file()
    ]
    if len(exercise.hints) < 2:
        problems.append(f"{len(exercise.hints)} hint(s); at least two are needed")
    if files.exercise.is_file() and "TODO" not in files.exercise.read_text(encoding="utf-8"):
        problems.append("the exercise has no TODO marking what to do")
    return problems


def _read_variants(files: _Files, exercise: Exercise, report: ExerciseReport) -> list[Variant]:
    if not files.variants.is_file():
        return []
    try:
        return load_variants(files.variants, files.solution.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        report.problems.append(f"{exercise.variants_rel} cannot be read: {exc}")
        return []


# A proof judges verdicts, not speed: on a loaded machine the first checks of a
# run also pay for what the warm worker had no quiet moment to import yet
# (torch._dynamo with the first optimizer: seconds), and a learner's timeout
# there would make a sound exercise look unsound. Proofs wait this much longer.
PROOF_PATIENCE = 4.0


def _patient(job: CheckJob) -> CheckJob:
    return dataclasses.replace(job, timeout=job.timeout * PROOF_PATIENCE)


def _run_checks(course: Course, files: _Files, exercise: Exercise, variants: list[Variant], engine: Engine,
                folder: Path, workers: int, report: ExerciseReport) -> None:
    """Check the exercise, the solution and every runnable variant, all in one batch."""
    folder.mkdir()
    jobs = [_patient(job_for(course, exercise)), _patient(job_for(course, exercise, files.solution))]
    runnable = [v for v in variants if v.source is not None]
    for index, variant in enumerate(runnable):
        # The variant keeps the exercise's file name: tracebacks and module
        # names look exactly as they would for a learner.
        target = folder / f"v{index}" / files.exercise.name
        target.parent.mkdir()
        target.write_text(variant.source or "", encoding="utf-8")
        jobs.append(_patient(job_for(course, exercise, target)))
    results = check_many(engine, jobs, workers=workers)
    report.exercise_result, report.solution_result = results[0], results[1]
    ran = iter(results[2:])  # in the order of `runnable`
    report.variants = [VariantVerdict(v, next(ran) if v.source is not None else None)
                       for v in variants]


def _verdict_problems(report: ExerciseReport) -> list[str]:
    """The shipped exercise must fail honestly and the solution must pass."""
    assert report.exercise_result is not None and report.solution_result is not None
    problems = []
    exercise_status = report.exercise_result.status
    if exercise_status not in HONEST_FAILURES:
        problems.append(
            f"the shipped exercise should fail its check, but it is {exercise_status.value}: "
            f"{report.exercise_result.summary}"
        )
    if report.solution_result.status is not Status.PASSED:
        problems.append(
            f"the solution should pass, but it is {report.solution_result.status.value}: "
            f"{_failure_text(report.solution_result)}"
        )
    return problems


def _variant_problems(report: ExerciseReport, variants: list[Variant]) -> list[str]:
    """Enough variants, each one well formed and judged as it should be."""
    problems = []
    wrong = [v for v in variants if v.kind == "wrong"]
    if len(wrong) < 2:
        problems.append(f"{len(wrong)} known-wrong variant(s); at least two are needed")
    if not any(v.kind == "right" for v in variants):
        problems.append("no known-right variant that solves it another way")
    for verdict in report.variants:
        variant = verdict.variant
        if variant.source is not None and variant.problem:
            problems.append(f"{variant.kind} variant '{variant.label}': {variant.problem}")
        if verdict.ok:
            continue
        if variant.source is None:
            problems.append(f"{variant.kind} variant '{variant.label}': {variant.problem}")
        elif variant.kind == "wrong" and verdict.fails_honestly:
            problems.append(
                f"wrong variant '{variant.label}' fails, but what the learner reads does not "
                f"say '{variant.says}': "
                f"{_failure_text(verdict.result) if verdict.result else '(no result)'}"
            )
        elif variant.kind == "wrong":
            status = verdict.result.status.value if verdict.result else "not run"
            problems.append(
                f"wrong variant '{variant.label}' should fail, but it is {status}"
                + (f": {verdict.result.summary}" if verdict.result else "")
            )
        else:
            problems.append(
                f"right variant '{variant.label}' should pass, but it is "
                f"{verdict.result.status.value if verdict.result else 'not run'}: "
                f"{_failure_text(verdict.result) if verdict.result else ''}"
            )
    return problems


def _failure_text(result: CheckResult) -> str:
    failure = result.first_failure
    if failure is None:
        return result.summary
    first = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
    return f"{failure.name}: {first}"

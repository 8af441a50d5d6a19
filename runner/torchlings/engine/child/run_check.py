"""Run one check in the current process and return its CheckResult.

This is what a check process does, whichever engine started it (a fresh
subprocess, or a child forked from the warm worker). It must only be called
in a process that exists for this one check: learner code runs here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from torchlings.checkapi import testing
from torchlings.engine.child import plugin, sandbox, tamper
from torchlings.engine.child.check_session import CheckSession
from torchlings.engine.child.loader import load_exercise
from torchlings.engine.child.pinned import PinnedCheck
from torchlings.engine.problems import check_missing, problem, problem_result, timeout_message
from torchlings.engine.result import OUT_OF_TIME, CheckResult, Status, TestOutcome, one_line


def run_check(check_file: str | Path, exercise_file: str | Path,
              basetemp: str | Path | None = None,
              sources: tuple[bytes, bytes] | None = None,
              prepared: CheckSession | None = None) -> CheckResult:
    """Run the check; `basetemp` is where the check's tmp_path folders go (None: pytest's default).

    `sources` (under a grade): the check's and the exercise's code, read by the
    runner before any learner code ran; the files are then never read as code,
    and a session prepared from the file on disk is never used.
    `prepared`: the check's pytest session, set up before this process was
    forked (by the warm worker); without it this process sets it up itself.
    Either way pytest is set up before the learner's file is loaded, so no
    learner code runs while the check is imported.
    """
    check_file = Path(check_file).resolve()
    exercise_file = Path(exercise_file).resolve()
    started = time.perf_counter()

    def finish(result: CheckResult) -> CheckResult:
        result.seconds = time.perf_counter() - started
        result.notes = testing.collected_notes()
        result.series = testing.collected_series()
        result.episode = testing.collected_episode()
        result.contracts = testing.collected_contracts()
        return result

    if sources is None and not exercise_file.exists():
        return finish(problem_result(
            Status.ERROR, "FileNotFoundError",
            f"The exercise file {exercise_file} is missing. `torchlings reset "
            f"{exercise_file.stem}` (or x in the watch screen) brings back the shipped version.",
            name="loading your exercise", summary=f"{exercise_file} does not exist"))

    if sources is not None:
        session = CheckSession.prepare(check_file, extra_plugins=_pinned(check_file, sources))
    else:
        session = prepared if prepared is not None else CheckSession.prepare(check_file)
    session.enter(exercise_file, Path(basetemp) if basetemp is not None else None)
    collector = session.collector
    if sandbox.deadline_passed is not None:
        # Time ran out while this process set pytest up (a check that is slow
        # to import): the learner's file never got its turn.
        return finish(summarise([], _out_of_time()))
    before = tamper.snapshot()
    try:
        load_exercise(exercise_file, sources[1] if sources is not None else None)
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
        described = plugin.describe_exception(
            "loading your exercise",
            exc,
            exercise_path=exercise_file,
            check_path=None,
            outcome="error",
        )
        if isinstance(exc, sandbox.CheckDeadline):  # an endless loop at the top of the file
            return finish(summarise([], described))
        status = Status.NOT_DONE if plugin.is_not_done(exc) else Status.ERROR
        if isinstance(exc, SystemExit):
            described.message = (
                f"Your file called sys.exit({exc.code!r}) while it was being loaded. "
                "An exercise file should only define things; remove the exit."
            )
        elif isinstance(exc, KeyboardInterrupt):
            described.message = "KeyboardInterrupt was raised while your file was being loaded."
        if status is Status.NOT_DONE:
            return finish(not_done([], described, problem=described))
        return finish(CheckResult(status, summary=one_line(described.message), problem=described))

    changed = tamper.replaced(before)
    if changed:  # at import: before pytest (and the runner) call what was replaced
        tamper.put_back(before, changed)
        return finish(problem_result(Status.ERROR, "CheckTampered", tamper.message(changed),
                                     name="loading your exercise"))

    try:
        code = session.run_tests()
        if code != pytest.ExitCode.OK and sources is None and not check_file.exists():
            return finish(check_missing(check_file, exercise_file))  # deleted by learner code
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
            collector.problem = collector.problem or problem(
                "PytestError", f"pytest could not run the check (exit code {int(code)}); this "
                "is a fault in torchlings or the check, not in your code.")
    except BaseException as exc:  # noqa: BLE001 - e.g. SystemExit from learner code at collection
        if collector.problem is None:
            collector.problem = plugin.describe_exception(
                "running the check", exc, exercise_path=exercise_file, check_path=check_file,
                outcome="error",
            )
    finally:
        sandbox.deadline_kills_outright()
    if sandbox.deadline_passed is not None and not _names_the_deadline(collector):
        # Time ran out where pytest itself was (between two tests, collecting
        # the check): nothing else that went wrong after that is the story.
        collector.problem = _out_of_time()
    if collector.interrupted is not None and collector.problem is None:
        collector.problem = problem(
            "KeyboardInterrupt", "KeyboardInterrupt was raised while the check ran; the runner "
            "stopped this check and carries on. If your code raises it on purpose, take that out.")
    changed = tamper.replaced(before)
    tamper.put_back(before, changed)
    if changed and collector.problem is None:
        collector.problem = problem("CheckTampered", tamper.message(changed))
    tests = list(collector.tests.values())
    return finish(summarise(tests, collector.problem))


def _pinned(check_file: Path, sources: tuple[bytes, bytes] | None) -> list[object]:
    if sources is None:
        return []
    return [PinnedCheck(check_file, sources[0])]


def _out_of_time() -> TestOutcome:
    assert sandbox.deadline_passed is not None
    return problem(OUT_OF_TIME, timeout_message(
        f"The check did not finish within {sandbox.deadline_passed:g} s and was stopped."))


def _names_the_deadline(collector: plugin.Collector) -> bool:
    outcomes = [collector.problem, *collector.tests.values()]
    return any(t is not None and t.exc_type == OUT_OF_TIME for t in outcomes)


def summarise(tests: list[TestOutcome], problem: TestOutcome | None) -> CheckResult:
    """Decide the overall status from the tests' outcomes."""
    out_of_time = [t for t in [problem, *tests] if t is not None and t.exc_type == OUT_OF_TIME]
    if out_of_time:
        first = out_of_time[0]
        where = f" (line {first.learner_line.line})" if first.learner_line else ""
        # The message's first sentence ("The check did not finish within 8 s and was
        # stopped"), without the pointer to an excerpt a one-line summary lacks.
        summary = f"{one_line(first.message)}{where}"
        return CheckResult(Status.TIMEOUT, summary=summary, tests=tests, problem=problem)
    if problem is not None:
        return CheckResult(Status.ERROR, summary=one_line(problem.message), tests=tests,
                           problem=problem)
    if not tests:
        return CheckResult(Status.ERROR, summary="the check ran no tests", tests=tests)
    failing = [t for t in tests if t.outcome in ("failed", "error")]
    real = [t for t in failing if not _is_todo(t)]
    passed = sum(t.outcome == "passed" for t in tests)
    if real:
        status = Status.FAILED
    elif failing:
        status = Status.NOT_DONE
    elif passed == 0:
        status = Status.SKIPPED
    else:
        status = Status.PASSED
    if status is Status.NOT_DONE:
        return not_done(tests, failing[0])
    if status is Status.SKIPPED:
        reason = one_line(tests[0].message) or "not checked here"
        return CheckResult(status, summary=f"skipped: {reason}", tests=tests, skip_reason=reason)
    return CheckResult(status, summary=f"{passed} of {len(tests)} tests pass", tests=tests)


def not_done(tests: list[TestOutcome], first: TestOutcome,
             problem: TestOutcome | None = None) -> CheckResult:
    """NOT_DONE, with the TODO still open (`first`) as data and in the one-line summary."""
    todo = one_line(first.message) or "a TODO is still open"
    line = first.learner_line.line if first.learner_line else None
    where = f" (line {line})" if line is not None else ""
    return CheckResult(Status.NOT_DONE, summary=f"not done yet{where}: {todo}", tests=tests,
                       problem=problem, todo=todo, todo_line=line)


def _is_todo(test: TestOutcome) -> bool:
    # NotImplementedError counts as "not done" only when the learner's file
    # raised it (a TODO); one raised inside torch is a real failure.
    if test.exc_type == "NotDone":
        return True
    return test.exc_type == "NotImplementedError" and test.learner_line is not None


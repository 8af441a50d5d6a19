"""The one way to build a result for a check that ended before its tests could judge it.

A timeout, a crash, a file that cannot be read, or a fault in torchlings itself:
each is a `CheckResult` whose `problem` says what happened in a sentence or
more, with its one-line `summary` built here, once, from the same words.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from torchlings.engine.result import CheckResult, Status, TestOutcome, one_line
from torchlings.engine.visible import visible

# The exc_type of a runner fault: the check could not run because of a bug in torchlings.
RUNNER_FAULT = "RunnerFault"


def problem(exc_type: str, message: str, *, name: str = "running the check") -> TestOutcome:
    """What went wrong before (or instead of) the tests: shown in place of them."""
    return TestOutcome(name=name, outcome="error", exc_type=exc_type, message=visible(message))


def problem_result(status: Status, exc_type: str, message: str, *,
                   name: str = "running the check", summary: str | None = None) -> CheckResult:
    """A result with no tests: `message` explains it, `summary` (default: `one_line(message)`)."""
    message = visible(message)
    return CheckResult(status, summary=summary if summary is not None else one_line(message),
                       problem=problem(exc_type, message, name=name))


def timeout_message(what: str) -> str:
    return (f"{what} Look for a loop that never ends (a `while` whose condition never "
            "changes) or far more work than the exercise needs. If there is none, the "
            "machine may just have been busy: save again, or close what is using the "
            "processor.")


def ran_out_of_time(what: str) -> CheckResult:
    return problem_result(Status.TIMEOUT, "timeout", timeout_message(what))


def runner_fault(exc: BaseException) -> CheckResult:
    """The result for a check that torchlings itself failed to run (a bug of ours).

    FAULT, which never takes "done" away (see vocabulary.VERDICTS): the learner's
    code was not judged.
    """
    message = (f"torchlings itself failed while checking this exercise ({type(exc).__name__}: "
               f"{exc}). This is not about your code, and your progress is unchanged; "
               "please report it.")
    return problem_result(Status.FAULT, RUNNER_FAULT, message,
                          summary="torchlings failed to run this check")


# Exit statuses of a check process whose result could not be written (see
# `exit_status_for`): the runner can then say why, not blame an os._exit.
EXIT_TOO_MANY_FILES = 71
EXIT_DISK_FULL = 72


def check_missing(check_file: str | os.PathLike[str], exercise_file: str | os.PathLike[str]
                  ) -> CheckResult:
    """The check file is gone (learner code can delete it): say so, and how to get it back."""
    name = Path(exercise_file).stem
    message = (f"The check for this exercise, {Path(check_file).name}, is missing: something "
               f"deleted it (code in your exercise, perhaps). `torchlings reset {name} --check` "
               "puts the shipped check back and leaves your exercise file as it is.")
    return problem_result(Status.ERROR, "CheckMissing", message)


def exit_status_for(exc: BaseException, default: int) -> int:
    """How a check process that failed with `exc` before reporting should exit."""
    number = getattr(exc, "errno", None)
    if number in (errno.EMFILE, errno.ENFILE):
        return EXIT_TOO_MANY_FILES
    if number in (errno.ENOSPC, errno.EDQUOT):
        return EXIT_DISK_FULL
    return default

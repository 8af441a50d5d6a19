"""The records a check produces: plain data, serialisable to JSON and back.

The child process builds a `CheckResult` from pytest's hooks; the parent adds
what only it can see (a timeout, a crash, the captured output) and hands the
result to the report. Nothing here parses pytest's text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from torchlings.checkapi.episode import Episode
from torchlings.engine.limits import CheckDeadline


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_DONE = "not_done"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SKIPPED = "skipped"
    # torchlings itself failed to run the check (a bug of ours, never the
    # learner's code): the code was not judged, and progress stays as it was.
    FAULT = "fault"


@dataclass
class SourceLine:
    """One line of a file, as it was when the check ran."""

    path: str
    line: int
    text: str
    function: str = ""
    # The lines around it as they ran (from linecache in the check process),
    # starting at line `excerpt_start`: the report shows these, not the file now.
    excerpt: list[str] = field(default_factory=list)
    excerpt_start: int = 0


@dataclass
class TestOutcome:
    """One pytest test: how it ended and, when it failed, why."""

    name: str
    outcome: str  # passed | failed | error | skipped
    doc: str = ""
    seconds: float = 0.0
    exc_type: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    learner_line: SourceLine | None = None
    check_line: SourceLine | None = None
    traceback: str = ""  # the full one, for --verbose
    output: str = ""  # what the test printed

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestOutcome:
        data = dict(data)
        for key in ("learner_line", "check_line"):
            if data.get(key) is not None:
                data[key] = SourceLine(**data[key])
        return cls(**data)


# The exc_type of a test that was still running when the check's time ran out.
OUT_OF_TIME = CheckDeadline.__name__


def one_line(message: str) -> str:
    """The one-line summary of a message: its first line, up to the end of its first sentence.

    The only rule that cuts a summary out of a message; every summary is built
    once, where the result is made, and nothing reads a message back.
    """
    lines = message.strip().splitlines()
    return lines[0].split(". ")[0].strip() if lines else ""


@dataclass
class CheckResult:
    status: Status
    # One line for lists and the status line ("3 of 3 tests pass", "not done
    # yet (line 6): add one to x"), built once where the result is made.
    summary: str = ""
    tests: list[TestOutcome] = field(default_factory=list)
    # A problem before any test could run: the exercise did not import, the
    # check file did not collect, the process died. Shown instead of tests.
    problem: TestOutcome | None = None
    notes: list[str] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    # One episode of a trained agent playing (a capstone's), for the watch screen to replay.
    episode: Episode | None = None
    contracts: list[str] = field(default_factory=list)  # functions testkit.harness tried
    output: str = ""
    output_truncated_bytes: int = 0
    seconds: float = 0.0
    # The check file differs from the shipped one: every surface says so, so
    # that a pass against an edited check is never mistaken for a real one.
    check_modified: bool = False
    # SKIPPED: why the check did not run here ("needs a CUDA GPU"), without
    # any "skipped:" in front.
    skip_reason: str = ""
    # NOT_DONE: the TODO still open, in one line, and the learner's line it is on.
    todo: str = ""
    todo_line: int | None = None
    # Under a grade: why this exercise's code looks like an attempt on its judge
    # (the witness's flags; the grade adds what it sees in the source).
    suspicions: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def first_failure(self) -> TestOutcome | None:
        """What the report explains: the problem, else the test that ran out of time,
        else the first test that failed."""
        if self.problem is not None:
            return self.problem
        for test in self.tests:
            if test.exc_type == OUT_OF_TIME:
                return test
        for test in self.tests:
            if test.outcome in ("failed", "error"):
                return test
        return None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        data = dict(data)
        data["status"] = Status(data["status"])
        data["tests"] = [TestOutcome.from_dict(t) for t in data.get("tests", [])]
        if data.get("problem") is not None:
            data["problem"] = TestOutcome.from_dict(data["problem"])
        if data.get("episode") is not None:
            data["episode"] = Episode.from_dict(data["episode"])
        return cls(**data)

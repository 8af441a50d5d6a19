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
from torchlings.engine.child.sandbox import CheckDeadline


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_DONE = "not_done"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SKIPPED = "skipped"


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


@dataclass
class CheckResult:
    status: Status
    summary: str = ""
    tests: list[TestOutcome] = field(default_factory=list)
    # A problem before any test could run: the exercise did not import, the
    # check file did not collect, the process died. Shown instead of tests.
    problem: TestOutcome | None = None
    notes: list[str] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    # One episode of a trained agent playing (a capstone's), for the watch screen to replay.
    episode: Episode | None = None
    output: str = ""
    output_truncated_bytes: int = 0
    seconds: float = 0.0
    # The check file differs from the shipped one: every surface says so, so
    # that a pass against an edited check is never mistaken for a real one.
    check_modified: bool = False

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

"""The pytest plugin that runs inside the check process.

It gives checks their `exercise` fixture (the learner module, loaded fresh)
and records each test's outcome as data from pytest's hooks, so nothing ever
depends on pytest's printed text.

It also works on its own for a course author or a benchmark:
    python -m pytest -p torchlings.engine.child.plugin --exercise-file F checks/...
"""

from __future__ import annotations

import linecache
import os
import traceback
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from torchlings.checkapi.details import Misspelling
from torchlings.checkapi.global_state import GlobalState, expect_global_state_kept
from torchlings.checkapi.testing import CheckFailure, NotDone
from torchlings.checkapi.translations import suggestion_for
from torchlings.engine.child import sandbox
from torchlings.engine.child.loader import load_exercise
from torchlings.engine.problems import timeout_message
from torchlings.engine.result import SourceLine, TestOutcome

EXERCISE_ENV = "TORCHLINGS_EXERCISE"
_OUTPUT_PER_TEST = 8_000
_EXCERPT_CONTEXT = 2  # lines shown either side of the learner's line

# Frames kept at each end of a longer traceback. Deep recursion under a raised
# recursion limit leaves tens of thousands, and rendering them all (pytest's
# report, ours) takes long enough to look like a hang.
KEEP_FRAMES = 40


def trim_traceback(exc: BaseException | None, keep: int = KEEP_FRAMES) -> None:
    """Cut the middle out of `exc`'s traceback (and its causes'), in place."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = []
        tb = exc.__traceback__
        while tb is not None:
            frames.append(tb)
            tb = tb.tb_next
        if len(frames) > 2 * keep + 1:
            frames[keep - 1].tb_next = frames[-keep]
        exc = exc.__cause__ or exc.__context__


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchlings")
    group.addoption(
        "--exercise-file",
        default=None,
        help="the learner file that the `exercise` fixture loads",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """A terminal writer for pytest's assertion explanations, which checks run without.

    Checks run with `-p no:terminal` (faster). pytest before 9.1 asks the
    terminal reporter for its writer inside every failing `assert a == b`,
    and without one it fails on its own `assert terminalreporter is not
    None`: the check's message became "an assertion failed" (pytest #14377).
    A writer to nowhere gives it plain text on any pytest.
    """
    if config.pluginmanager.get_plugin("terminalreporter") is not None:
        return
    import io

    from _pytest._io import TerminalWriter

    writer = TerminalWriter(file=io.StringIO())
    config.get_terminal_writer = lambda: writer  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def exercise(request: pytest.FixtureRequest) -> Any:
    """The learner's exercise module, executed from its current bytes."""
    path = request.config.getoption("exercise_file") or os.environ.get(EXERCISE_ENV)
    if not path:
        pytest.fail("no exercise file given: pass --exercise-file or set TORCHLINGS_EXERCISE")
    return load_exercise(path)


@pytest.fixture(scope="session", autouse=True)
def _global_state_before_the_check() -> GlobalState:
    """The switches before anything of the check ran, the learner's import included.
    pytest sets up a check's module-scoped fixture (one that trains the learner's model
    once for all its tests) before a test's function-scoped fixtures: captured there, a
    switch that fixture left changed would pass for the state the test began in. Autouse
    fixtures come first within their scope, so this one precedes `exercise` too."""
    return GlobalState.capture()


@pytest.fixture(autouse=True)
def _global_state_kept(_global_state_before_the_check: GlobalState) -> Any:
    """Every test of every check: PyTorch's global switches are as they were before it
    (grad mode, default dtype and device, deterministic algorithms); see global_state.py.
    Each test leaves the switches as it found them, so the state before the check began
    is the one every test must end in, whatever a fixture did in between."""
    before = _global_state_before_the_check
    yield
    expect_global_state_kept(before)


def is_not_done(exc: BaseException) -> bool:
    return isinstance(exc, (NotImplementedError, NotDone))


def describe_exception(
    name: str,
    exc: BaseException,
    *,
    exercise_path: Path | None,
    check_path: Path | None,
    outcome: str = "failed",
    doc: str = "",
) -> TestOutcome:
    """Turn an exception into a TestOutcome: message, learner line, check line."""
    trim_traceback(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    learner = _last_frame_in(frames, exercise_path) if exercise_path is not None else None
    check = _last_frame_in(frames, check_path) if check_path else None
    if (isinstance(exc, SyntaxError) and exc.filename and exercise_path is not None
            and _same_file(exc.filename, exercise_path)):
        learner = SourceLine(str(exercise_path), exc.lineno or 0, (exc.text or "").rstrip("\n"))
    details: dict[str, Any] = {}
    if isinstance(exc, SyntaxError):
        details = {"kind": "syntax", "column": exc.offset or 0}
    if suggestion := suggestion_for(exc):
        details = Misspelling(suggestion).to_dict()
    if isinstance(exc, CheckFailure):
        message, details = exc.message, dict(exc.details)
    elif isinstance(exc, sandbox.CheckDeadline):
        where = ("Your code was at the line below." if learner is not None
                 else "The check's own code was running at that moment, not yours.")
        message = timeout_message(f"The check did not finish within {exc.seconds:g} s and "
                                  f"was stopped. {where}")
    elif sandbox.is_out_of_memory(exc):
        message, details = sandbox.out_of_memory_message(exc), {}
    elif sandbox.is_file_too_large(exc):
        message = sandbox.file_too_large_message()
    elif isinstance(exc, AssertionError):
        message = str(exc) or "an assertion failed"
    elif is_not_done(exc):
        message = str(exc)
    elif isinstance(exc, SyntaxError):
        message = f"{type(exc).__name__}: {exc.msg}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    return TestOutcome(
        name=name,
        outcome=outcome,
        doc=doc,
        exc_type=type(exc).__name__,
        message=message,
        details=_jsonable(details),
        learner_line=learner,
        check_line=check,
        traceback="".join(traceback.format_exception(exc)),
    )


def _same_file(a: str | Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


def _last_frame_in(frames: traceback.StackSummary, path: Path) -> SourceLine | None:
    found = None
    for frame in frames:
        if _same_file(frame.filename, path):
            found = SourceLine(str(path), frame.lineno or 0, frame.line or "", frame.name)
    if found is not None:
        # linecache holds the source that ran (the loader put it there).
        lines = linecache.getlines(str(path))
        found.excerpt_start = max(1, found.line - _EXCERPT_CONTEXT)
        found.excerpt = [x.rstrip("\n") for x in
                         lines[found.excerpt_start - 1: found.line + _EXCERPT_CONTEXT]]
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


class Collector:
    """Records what happened to each test, keyed by pytest's node id."""

    def __init__(self, exercise_path: Path | None, check_path: Path) -> None:
        # None until the check process knows its learner's file (see check_session).
        self.exercise_path = exercise_path
        self.check_path = check_path
        self.tests: dict[str, TestOutcome] = {}
        self.problem: TestOutcome | None = None
        self.interrupted: BaseException | None = None
        # Set when the check's time ran out inside a test: the rest do not run.
        self.out_of_time = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> bool | None:
        # True: "handled", so pytest runs nothing for this test and reports
        # nothing; it is left out of the result like a test never reached.
        return True if self.out_of_time else None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
        if call.excinfo is not None:
            trim_traceback(call.excinfo.value)  # before pytest renders it
            if isinstance(call.excinfo.value, sandbox.CheckDeadline):
                self.out_of_time = True
        result = yield
        report: pytest.TestReport = result.get_result()
        name = item.name
        doc = _test_sentence(item)
        existing = self.tests.get(item.nodeid)
        if report.passed:
            if existing is None:
                self.tests[item.nodeid] = TestOutcome(name=name, outcome="passed", doc=doc)
            if report.when == "call":
                self.tests[item.nodeid].seconds = report.duration
                self.tests[item.nodeid].output = _captured(report)
            return
        if report.skipped and call.excinfo is not None and self._from_learner(call.excinfo.value):
            self.tests[item.nodeid] = TestOutcome(
                name=name, outcome="failed", doc=doc, exc_type="SkippedByYourCode",
                message="Your code called pytest.skip() or pytest.xfail() while the check ran. "
                "A test that did not run proves nothing, so this never counts as done: take "
                "that call out.",
                learner_line=self._learner_frame(call.excinfo.tb),
            )
            return
        if report.skipped:
            # The reason as the check gave it (pytest.skip's `msg`), not pytest's text of it.
            skip = call.excinfo.value if call.excinfo is not None else None
            reason = str(getattr(skip, "msg", "") or "not checked here")
            self.tests[item.nodeid] = TestOutcome(
                name=name, outcome="skipped", doc=doc, message=reason
            )
            return
        # failed: in the test itself ("failed") or in its setup/teardown ("error")
        if existing is not None and existing.outcome in ("failed", "error"):
            return  # keep the first failure of a test; a teardown error after it adds nothing
        outcome = "failed" if report.when == "call" else "error"
        if call.excinfo is not None:
            described = describe_exception(
                name,
                call.excinfo.value,
                exercise_path=self.exercise_path,
                check_path=self.check_path,
                outcome=outcome,
                doc=doc,
            )
        else:
            described = TestOutcome(name=name, outcome=outcome, doc=doc,
                                    message=str(report.longrepr))
        described.seconds = report.duration
        described.output = _captured(report)
        self.tests[item.nodeid] = described

    def _from_learner(self, exc: BaseException) -> bool:
        return self._learner_frame(exc.__traceback__) is not None

    def _learner_frame(self, tb: TracebackType | None) -> SourceLine | None:
        if self.exercise_path is None:
            return None
        return _last_frame_in(traceback.extract_tb(tb), self.exercise_path)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and self.problem is None:
            self.problem = TestOutcome(
                name="collecting the check",
                outcome="error",
                exc_type="CollectionError",
                message=f"The check file could not be loaded:\n{report.longreprtext}",
            )

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = excinfo.value


def _test_sentence(item: pytest.Item) -> str:
    """The test's docstring up to its first blank line, as one line: a sentence
    that goes on over two lines is not cut after the first (it read as if cut off)."""
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    paragraph = doc.split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def _captured(report: pytest.TestReport) -> str:
    text = report.capstdout + report.capstderr
    if len(text) > _OUTPUT_PER_TEST:
        text = text[:_OUTPUT_PER_TEST] + f"\n... ({len(text) - _OUTPUT_PER_TEST} more characters)"
    return text

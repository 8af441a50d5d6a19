"""Helpers for the watch-app tests: a small course on disk, a fake engine, screen text."""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from torchlings.engine import CheckJob, CheckResult, SeriesCallback, SourceLine, Status, TestOutcome

CATALOG = '''
format_version = 1
welcome = "Welcome to the test course."
final = "Every exercise passes. Well done."

[[exercises]]
name = "first"
dir = "01_basics"
hints = ["Look at the first line.", "Add one to x."]

[[exercises]]
name = "second"
dir = "01_basics"
hints = ["Only one hint here."]

[[exercises]]
name = "third"
dir = "02_more"
hints = []
'''

SOURCE = '''"""An exercise."""


def answer(x):
    # TODO: add one
    raise NotImplementedError("add one to x")
'''

SHIPPED = SOURCE.encode()


def make_workspace(root: Path) -> Path:
    (root / "exercises").mkdir(parents=True)
    (root / "exercises" / "info.toml").write_text(CATALOG)
    for folder, name in (("01_basics", "first"), ("01_basics", "second"), ("02_more", "third")):
        (root / "exercises" / folder).mkdir(exist_ok=True)
        (root / "exercises" / folder / f"{name}.py").write_text(SOURCE)
        (root / "checks" / folder).mkdir(parents=True, exist_ok=True)
        (root / "checks" / folder / f"test_{name}.py").write_text("def test_it():\n    pass\n")
    return root


# --- canned verdicts -------------------------------------------------------

def passed(series: dict[str, list[float]] | None = None) -> CheckResult:
    return CheckResult(Status.PASSED, summary="3 tests passed", seconds=0.1,
                       tests=[TestOutcome("test_adds_one", "passed", doc="adds one")],
                       series=series or {})


def not_done(path: Path | None = None) -> CheckResult:
    line = SourceLine(str(path), 6, 'raise NotImplementedError("add one to x")', "answer") \
        if path else None
    failure = TestOutcome("test_adds_one", "failed", doc="adds one",
                          exc_type="NotImplementedError", message="add one to x",
                          learner_line=line)
    return CheckResult(Status.NOT_DONE, summary="not done yet (line 6): add one to x",
                       tests=[failure], seconds=0.1, todo="add one to x", todo_line=6)


def failed(path: Path | None = None) -> CheckResult:
    line = SourceLine(str(path), 6, 'raise NotImplementedError("add one to x")', "answer") \
        if path else None
    failure = TestOutcome("test_adds_one", "failed", doc="answer(1) is 2",
                          exc_type="AssertionError", message="expected 2, got 3",
                          learner_line=line)
    return CheckResult(Status.FAILED, summary="answer(1) is 2: expected 2, got 3",
                       tests=[failure], seconds=0.1)


def errored(status: Status = Status.ERROR) -> CheckResult:
    summaries = {Status.ERROR: "the exercise does not import: SyntaxError on line 3",
                 Status.TIMEOUT: "timed out after 10 s",
                 Status.CRASHED: "the check process crashed (signal 11)"}
    return CheckResult(status, summary=summaries[status], seconds=0.1)


class FakeEngine:
    """The engine interface with canned verdicts, a switchable warm-up and a gate.

    `streams[name]` is a list of series the check reports through `on_series`
    while it runs (the engine's live-series contract); `series_gate`, when set,
    holds the check after the first of them until it is released.
    """

    name = "fake"
    startup_error: str | None = None

    def __init__(self) -> None:
        self.verdicts: dict[str, CheckResult | Callable[[], CheckResult]] = {}
        self.default: CheckResult = not_done()
        self.ready = True
        self.delay = 0.0
        self.gate: threading.Event | None = None  # when set, checks wait for it
        self.calls: list[str] = []
        self.started = False
        self.closed = False
        self.streams: dict[str, list[dict[str, list[float]]]] = {}
        self.series_gate: threading.Event | None = None
        self._ready_event = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> None:
        self.started = True

    def is_ready(self) -> bool:
        return self.ready

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Blocks until `make_ready()` (the engine's readiness event)."""
        return self._ready_event.wait(timeout) or self.ready

    def make_ready(self) -> None:
        self.ready = True
        self._ready_event.set()

    def fail_start(self, error: str) -> None:
        """Like a warm worker that died importing torch: waiting ends, checks run cold."""
        self.startup_error = error
        self._ready_event.set()

    def hold(self) -> threading.Event:
        self.gate = threading.Event()
        return self.gate

    def check(self, job: CheckJob, on_series: SeriesCallback | None = None) -> CheckResult:
        name = job.exercise_file.stem
        with self._lock:
            self.calls.append(name)
        for step, series in enumerate(self.streams.get(name, [])):
            if on_series is not None:
                on_series(series)
            if step == 0 and self.series_gate is not None:
                self.series_gate.wait(10)
        gate = self.gate
        if gate is not None and not self.closed:
            gate.wait(10)
        if self.delay:
            time.sleep(self.delay)
        verdict = self.verdicts.get(name, self.default)
        return verdict() if callable(verdict) else verdict

    def close(self) -> None:
        """Like the real engines: checks still running return at once."""
        self.closed = True
        for gate in (self.gate, self.series_gate):
            if gate is not None:
                gate.set()


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `condition()` holds (fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.02)
    await pilot.pause()


async def settle(pilot) -> None:
    """Let every pending message and animation run (no fixed sleep)."""
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>')
CELL_WIDTH = 12.2  # what Rich's SVG export gives one terminal cell


def screen_text(app) -> str:  # noqa: ANN001
    """The screen as plain text, read from Textual's public SVG screenshot."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, line, content in _TEXT.findall(app.export_screenshot()):
        column = round(float(x) / CELL_WIDTH) - 1  # the export has one cell of margin
        for offset, char in enumerate(html.unescape(content).replace("\xa0", " ")):
            if 0 <= column + offset < width and int(line) < height:
                rows[int(line)][column + offset] = char
    return "\n".join("".join(row).rstrip() for row in rows)


def toasts(app) -> list[str]:  # noqa: ANN001
    """The notifications on screen now, each as one line of plain text (however it wraps)."""
    return [" ".join(toast.render().plain.split()) for toast in app.screen.query("Toast")]

"""`torchlings verify`: what it says at once, the order of its lines, Ctrl-C, JUnit XML."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager

from tests.conftest import invoke
from torchlings.cli.verify import run_verify
from torchlings.engine import CheckJob, CheckResult, SeriesCallback, SourceLine, Status
from torchlings.engine import TestOutcome as Outcome  # not a test class
from torchlings.learner.workspace import Workspace


class OutOfOrderEngine:
    """Finishes `add` only after `double` (two checks run at once), so results arrive
    out of course order; `interrupt_at` stands for a Ctrl-C once the others are done."""

    def __init__(self, interrupt_at: str | None = None) -> None:
        self.done = {name: threading.Event() for name in ("add", "double", "halve")}
        self.waits = {"add": "double", "halve": "add"}
        self.interrupt_at = interrupt_at

    name = "out-of-order"
    startup_error = None

    def start(self) -> None:
        pass

    def is_ready(self) -> bool:
        return True

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        pass

    def check(self, job: CheckJob,
              on_series: SeriesCallback | None = None) -> CheckResult:
        name = job.exercise_file.stem
        if name in self.waits:
            assert self.done[self.waits[name]].wait(timeout=60)
        if name == self.interrupt_at:
            raise KeyboardInterrupt
        self.done[name].set()
        return CheckResult(Status.PASSED, summary="1 of 1 passed", seconds=0.01)


@contextmanager
def engine_factory(engine):
    yield engine


def test_results_come_in_course_order_with_a_counter_that_counts_up(workspace, capsys):
    ws = Workspace.open(workspace)
    targets = list(ws.course.exercises)
    engine = OutOfOrderEngine()
    code = run_verify(ws, targets, lambda: engine_factory(engine), as_json=False, verbose=False,
                      junit_path=None)
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines()[0].startswith("Checking 3 exercise(s). Starting Python and "
                                          "importing PyTorch first")
    lines = re.findall(r"^\[ ?(\d+)/3\] (\d\d) (\w+)", out, flags=re.M)
    assert lines == [("1", "01", "add"), ("2", "02", "double"), ("3", "03", "halve")]
    assert "3 of 3 exercises pass." in out


def test_ctrl_c_says_how_many_were_checked(workspace, capsys):
    ws = Workspace.open(workspace)
    targets = list(ws.course.exercises)
    engine = OutOfOrderEngine(interrupt_at="halve")
    code = run_verify(ws, targets, lambda: engine_factory(engine), as_json=False, verbose=False,
                      junit_path=None)
    out, err = capsys.readouterr()
    assert code == 130
    assert "Stopped by Ctrl-C after checking 2 of 3 exercises" in err
    assert "2 of the 2 checked exercises pass (1 not checked)." in out
    assert "0 of 3" not in out
    lines = re.findall(r"^\[ ?(\d+)/3\] (\d\d) (\w+)", out, flags=re.M)
    assert lines == [("1", "01", "add"), ("2", "02", "double")]
    assert ws.store.load().done == {"add", "double"}


def test_junit_xml_has_one_case_per_exercise_with_the_learners_line(workspace, tmp_path):
    report = tmp_path / "out" / "results.xml"
    result = invoke("verify", "--junit-xml", str(report))
    assert result.exit_code == 1
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "3", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["01 add", "02 double", "03 halve"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "not_done"
    assert "exercises/01_basics/add.py:6:" in failure.text


def test_junit_skips_what_cannot_be_checked_here(tmp_path):
    from torchlings.course import Exercise
    from torchlings.learner import junit

    targets = [Exercise("gpu", "07", 1, ()), Exercise("add", "01", 2, ()), Exercise("x", "01", 3, ())]
    learner = SourceLine(str(tmp_path / "exercises/01/add.py"), 4, "    return a - b")
    failing = CheckResult(Status.FAILED, tests=[Outcome(
        "test_add", "failed", message="add(2, 3) is -1, expected 5.0.\nLook at the sign.",
        learner_line=learner)])
    finished = {0: CheckResult(Status.SKIPPED, summary="skipped: needs a CUDA GPU",
                               skip_reason="needs a CUDA GPU"), 1: failing}
    suite = junit.build(targets, finished, tmp_path)
    gpu, add, stopped = suite.findall("testcase")
    assert gpu.find("skipped").get("message") == "needs a CUDA GPU"
    failure = add.find("failure")
    assert failure.get("message") == "add(2, 3) is -1, expected 5.0."
    assert failure.text.endswith("exercises/01/add.py:4: return a - b")
    assert "not checked" in stopped.find("skipped").get("message")
    assert suite.get("failures") == "1" and suite.get("skipped") == "2"
    assert junit.xml_safe("a\x1b[2Jb") == "a␛[2Jb"


def test_on_a_terminal_a_live_bar_counts_the_checks(workspace, capsys, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich: treat the captured output as a terminal
    monkeypatch.setenv("TERM", "xterm-256color")
    ws = Workspace.open(workspace)
    targets = list(ws.course.exercises)
    run_verify(ws, targets, lambda: engine_factory(OutOfOrderEngine()), as_json=False,
               verbose=False, junit_path=None)
    out = capsys.readouterr().out
    assert "checking" in out and "3/3" in out and "━" in out
    monkeypatch.setenv("TERM", "dumb")  # no cursor control: no bar, lines only
    run_verify(ws, targets, lambda: engine_factory(OutOfOrderEngine()), as_json=False,
               verbose=False, junit_path=None)
    out = capsys.readouterr().out
    assert "━" not in out and "[ 3/3] 03 halve" in out


def test_the_summary_says_how_to_see_what_is_wrong(workspace):
    from tests.conftest import solve

    solve(workspace, "add")
    result = invoke("verify")
    assert result.exit_code == 1
    assert "1 of 3 exercises pass." in result.output
    assert "`torchlings run 02` shows what is wrong with the first that fails" in result.output


def test_an_unwritable_junit_path_is_said_before_anything_runs(workspace, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = invoke("verify", "--junit-xml", str(blocker / "results.xml"))
    assert result.exit_code == 2
    assert "The JUnit report could not be written" in result.output
    assert "a part of the path is a file" in result.output
    assert "Traceback" not in result.output
    assert "Checking" not in result.output  # said at once, not after every check


def test_a_full_disk_leaves_no_half_written_report(workspace, tmp_path, monkeypatch):
    import errno
    import os

    from torchlings.learner import junit

    folder = tmp_path / "out"
    folder.mkdir()
    report = folder / "results.xml"
    report.write_text("<previous/>")

    def disk_fills_up(fd, data):
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(junit, "_write_all", disk_fills_up)
    result = invoke("verify", "--junit-xml", str(report))
    assert result.exit_code == 2
    assert "the disk is full" in result.output
    assert "Traceback" not in result.output
    assert report.read_text() == "<previous/>"  # the old report, whole; never a cut-off one
    assert sorted(p.name for p in folder.iterdir()) == ["results.xml"]  # no temporary left


def test_junit_time_is_the_runs_wall_time_not_the_sum_of_its_checks(workspace, tmp_path,
                                                                   monkeypatch):
    # Checks run side by side: their times add up to more than the run took.
    from types import SimpleNamespace

    import torchlings.cli.verify as verify_module

    clock = iter([100.0, 118.0])
    monkeypatch.setattr(verify_module, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    report = tmp_path / "results.xml"
    invoke("verify", "--junit-xml", str(report))
    suite = ET.parse(report).getroot()
    assert suite.get("time") == "18.000"

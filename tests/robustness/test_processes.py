"""Nothing a check started outlives it, or the runner that asked for it.

The learner file here forks a sleeping child and an escaped spinner (fork,
setsid, fork again: out of the check's process group), then spins. Whatever
ends the runner (kill -9, SIGTERM, SIGHUP from a closed terminal), every one
of those processes must be gone soon after, on both engines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from torchlings.engine import CheckJob, Status, check_many, make_engine
from torchlings.engine.host.subprocess_engine import child_environment
from torchlings.engine.host.warm_engine import WarmEngine, warm_supported

HERE = Path(__file__).parent
TINY_CHECK = HERE.parent / "engine" / "learners" / "check_tiny.py"

pytestmark = pytest.mark.skipif(not warm_supported() or not sys.platform.startswith("linux"),
                                reason="needs fork and /proc")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] != b"Z"  # a zombie is dead


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(what)
        time.sleep(0.05)


def learner_copy(tmp_path: Path) -> Path:
    target = tmp_path / "escapes.py"
    target.write_bytes((HERE / "learners" / "escapes.py").read_bytes())
    return target


RUNNER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from torchlings.engine import CheckJob, make_engine
    engine = make_engine(one_shot=sys.argv[1] == "one_shot")
    engine.check(CheckJob(Path(sys.argv[2]), Path(sys.argv[3]), timeout=300))
""")


@pytest.mark.parametrize("kind", ["warm", "one_shot"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP],
                         ids=["kill-9", "term", "hup"])
def test_nothing_outlives_a_killed_runner(tmp_path, kind, how):
    pids_file = tmp_path / "pids"
    env = {**child_environment(), "PIDS_FILE": str(pids_file)}
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, kind, str(TINY_CHECK),
                               str(learner_copy(tmp_path))], env=env)
    try:
        wait_for(pids_file.exists, 120, "the check never started its processes")
        pids = [int(p) for p in pids_file.read_text().split()]
        assert all(alive(p) for p in pids)
        runner.send_signal(how)
        runner.wait(30)
        wait_for(lambda: not any(alive(p) for p in pids), 15,
                 "a process the check started outlived its runner by 15 s")
        wait_for(lambda: not list(Path("/tmp").glob(f"torchlings-check-{runner.pid}-*")), 5,
                 "the check's scratch folder outlived its runner")
    finally:
        runner.kill()
        for pid in [int(p) for p in pids_file.read_text().split()] if pids_file.exists() else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("kind", ["warm", "one_shot"])
def test_escaped_processes_end_with_their_check(tmp_path, monkeypatch, kind):
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("PIDS_FILE", str(pids_file))
    monkeypatch.setenv("ESCAPE_THEN_PASS", "1")
    engine = make_engine(one_shot=kind == "one_shot")
    try:
        result = engine.check(CheckJob(TINY_CHECK, learner_copy(tmp_path), timeout=60))
        assert result.status is Status.PASSED, result.summary
        pids = [int(p) for p in pids_file.read_text().split()]
        wait_for(lambda: not any(alive(p) for p in pids), 10,
                 "a process that left the check's group survived the check")
    finally:
        engine.close()


def sibling_and_culprit(tmp_path: Path, sig: str) -> list[CheckJob]:
    started = tmp_path / "sibling-started"
    sibling = tmp_path / "sibling.py"
    sibling.write_text(textwrap.dedent(f"""
        import pathlib, time

        def answer():
            pathlib.Path({str(started)!r}).touch()
            time.sleep(1.5)
            return 42
    """))
    culprit = tmp_path / "culprit.py"
    culprit.write_text(textwrap.dedent(f"""
        import os, pathlib, signal, time

        def answer():
            while not pathlib.Path({str(started)!r}).exists():
                time.sleep(0.02)
            os.kill(os.getppid(), signal.{sig})
            return 42
    """))
    return [CheckJob(TINY_CHECK, culprit, timeout=20), CheckJob(TINY_CHECK, sibling, timeout=20)]


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGSTOP"])
def test_a_check_that_kills_or_stops_the_worker_harms_only_itself(tmp_path, sig):
    engine = WarmEngine()
    try:
        culprit, sibling = check_many(engine, sibling_and_culprit(tmp_path, sig), workers=2)
        assert sibling.status is Status.PASSED, sibling.summary
        assert culprit.status is Status.CRASHED, culprit.summary
    finally:
        engine.close()


def test_series_stream_live_on_both_engines(tmp_path):
    # The learner records a point, then waits until the runner has seen it:
    # the callback can only unblock it if points arrive while the check runs.
    path = tmp_path / "curve.py"
    path.write_text(textwrap.dedent(f"""
        import pathlib, time
        from torchlings.checkapi import testing

        def answer():
            for step in range(4):
                testing.record_point("return", float(step))
                seen = pathlib.Path({str(tmp_path)!r}) / f"seen-{{step + 1}}"
                deadline = time.monotonic() + 20
                while not seen.exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
            return 42
    """))
    for one_shot in (False, True):
        calls: list[dict[str, list[float]]] = []

        def on_series(series, calls=calls):
            calls.append(series)
            (tmp_path / f"seen-{len(series['return'])}").touch()

        engine = make_engine(one_shot=one_shot)
        try:
            result = engine.check(CheckJob(TINY_CHECK, path, timeout=60), on_series=on_series)
        finally:
            engine.close()
        assert result.status is Status.PASSED, result.summary
        assert result.seconds < 20  # no wait ran into its deadline: every point came live
        assert calls[-1] == {"return": [0.0, 1.0, 2.0, 3.0]}
        for name in tmp_path.glob("seen-*"):
            name.unlink()


def test_a_worker_that_cannot_start_is_reported(tmp_path, monkeypatch):
    broken = tmp_path / "broken" / "torch"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('torch is broken here')\n")
    monkeypatch.setenv("PYTHONPATH", str(broken.parent))
    engine = WarmEngine()
    try:
        engine.start()
        assert engine.wait_ready(timeout=60)
        assert "torch is broken here" in engine.startup_error
    finally:
        engine.close()


@pytest.mark.parametrize("learner_does", ["nothing", "swallow", "ignore-alarm"])
def test_a_check_process_keeps_its_own_deadline(learner_does):
    # Nobody above it will kill it. At the deadline the alarm raises
    # CheckDeadline where the code is; code that swallows that is killed by
    # the alarm soon after; with the alarm turned off, the CPU limit ends it.
    script = textwrap.dedent(f"""
        import signal, sys, time
        from torchlings.engine.child import sandbox
        sandbox.start_deadline(0.5)
        if {learner_does!r} == "ignore-alarm":
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
        try:
            while True:
                try:
                    while True:
                        if {learner_does!r} != "ignore-alarm":  # only that one must spend CPU
                            time.sleep(0.01)
                except BaseException:
                    if {learner_does!r} != "swallow":
                        raise
        except sandbox.CheckDeadline:
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], env=child_environment(), timeout=60)
    expected = {"nothing": 3, "swallow": -signal.SIGALRM, "ignore-alarm": -signal.SIGXCPU}
    assert done.returncode == expected[learner_does]

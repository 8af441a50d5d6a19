"""The warm engine: speed-independent behaviour, limits, and recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from torchlings.engine import CheckJob, Status, check_many, make_engine
from torchlings.engine.host import warm_engine
from torchlings.engine.host.check_run import CHECK_GRACE
from torchlings.engine.host.outcome import OUTPUT_LIMIT
from torchlings.engine.host.subprocess_engine import SubprocessEngine, child_environment
from torchlings.engine.host.warm_engine import WarmEngine, warm_supported

from .support import comparable, tiny_job

pytestmark = pytest.mark.skipif(not warm_supported(), reason="no fork on this platform")


def test_make_engine_picks_warm_unless_asked(monkeypatch):
    assert isinstance(make_engine(), WarmEngine)
    assert isinstance(make_engine(warm=False), SubprocessEngine)
    # One check: a fresh process costs less than a worker's import and fork.
    assert isinstance(make_engine(one_shot=True), SubprocessEngine)
    monkeypatch.setenv("TORCHLINGS_NO_WARM", "1")
    assert isinstance(make_engine(), SubprocessEngine)


def test_start_does_not_wait_for_torch():
    engine = WarmEngine()
    try:
        began = time.perf_counter()
        engine.start()
        assert time.perf_counter() - began < 0.5
    finally:
        engine.close()


def test_passes_and_worker_holds_no_threads(warm, learner):
    result = warm.check(tiny_job(learner("good")))
    assert result.status is Status.PASSED, result.summary
    assert warm.is_ready()
    # Forking a process with threads can deadlock the child: the worker must have none.
    assert warm.worker_threads() in (0, 1)


def test_torch_threads_work_in_the_child(warm, learner):
    for _ in range(2):
        result = warm.check(tiny_job(learner("threads"), timeout=5))
        assert result.status is Status.PASSED, result.summary


def test_failure_is_reported(warm, learner, tmp_path):
    path = tmp_path / "wrong.py"
    path.write_text("def answer():\n    return 41\n")
    result = warm.check(tiny_job(path))
    assert result.status is Status.FAILED
    assert "returned 41" in result.first_failure.message


def test_two_same_length_edits_within_a_second_are_both_seen(warm, tmp_path):
    path = tmp_path / "edited.py"
    stamp = time.time()
    seen = []
    for value in ("41", "42", "43"):
        path.write_text(f"def answer():\n    return {value}\n")
        os.utime(path, (stamp, stamp))  # same size, same mtime: only the bytes differ
        seen.append(warm.check(tiny_job(path)).status)
    assert seen == [Status.FAILED, Status.PASSED, Status.FAILED]


def test_torch_state_does_not_leak_between_checks(warm, learner):
    # The leaker's own check fails, naming what it left switched (every check
    # judges the global state it leaves); the next check must start clean anyway.
    leaked = warm.check(tiny_job(learner("leaker")))
    assert leaked.status is Status.FAILED
    assert "set_default_dtype" in leaked.first_failure.message or \
        "default dtype" in leaked.first_failure.message
    result = warm.check(tiny_job(learner("torch_state")))
    assert result.status is Status.PASSED, result.first_failure and result.first_failure.message


def test_timeout_kills_the_whole_group(warm, learner):
    path = learner("sleeper")
    began = time.perf_counter()
    result = warm.check(tiny_job(path, timeout=0.5))
    assert time.perf_counter() - began < 10
    assert result.status is Status.TIMEOUT
    # The limit stated is the one enforced: the check process keeps its own (the
    # exercise's plus a grace for pytest's start-up).
    failure = result.first_failure
    assert f"did not finish within {0.5 + CHECK_GRACE:g} s" in failure.message
    assert "loop" in failure.message  # says what to look at
    # ...and where: the line the learner's code was on when time ran out.
    assert failure.learner_line is not None and "sleep" in failure.learner_line.text
    grandchild = int(path.with_suffix(".pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(grandchild, signal.SIGKILL)
        pytest.fail("the learner's sleeping grandchild outlived the timeout")
    # And the worker is still fine.
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED


def test_memory_ceiling(monkeypatch, learner):
    monkeypatch.setenv("TORCHLINGS_MEMORY_LIMIT", str(2 * 1024**3))
    path = learner("hog")
    path.write_text(path.read_text().replace("16 * 1024**3", "768 * 1024**2"))  # 3 GiB
    engine = WarmEngine()
    try:
        result = engine.check(tiny_job(path))
    finally:
        engine.close()
    assert result.status is Status.FAILED
    message = result.first_failure.message
    assert "ran out of the 2 GiB allowed" in message
    assert "3 GiB" in message  # what the allocation asked for
    assert result.first_failure.learner_line.text.strip().startswith("return torch.ones")


@pytest.mark.parametrize(("name", "signal_name"), [("segfault", "SIGSEGV"),
                                                   ("abort", "SIGABRT")])
def test_crash_by_signal_is_named(warm, learner, name, signal_name):
    result = warm.check(tiny_job(learner(name)))
    assert result.status is Status.CRASHED
    assert signal_name in result.summary
    assert signal_name in result.problem.message
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED


def test_output_flood_is_truncated(warm, learner):
    began = time.perf_counter()
    result = warm.check(tiny_job(learner("flood")))
    assert time.perf_counter() - began < 30
    assert result.status is Status.PASSED
    assert len(result.output.encode()) <= OUTPUT_LIMIT
    assert result.output_truncated_bytes >= 100_000_000 - OUTPUT_LIMIT
    assert "more characters" in result.tests[0].output  # the test's own flood, cut short
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED


@pytest.mark.parametrize("name", ["exit_in_test", "exit_at_import"])
def test_sys_exit_does_not_pass(warm, learner, name):
    result = warm.check(tiny_job(learner(name)))
    assert result.status in (Status.FAILED, Status.ERROR)
    assert "exit" in result.first_failure.message.lower()


def test_os_exit_is_a_crash(warm, learner):
    result = warm.check(tiny_job(learner("os_exit")))
    assert result.status is Status.CRASHED
    assert "os._exit" in result.problem.message


def test_keyboard_interrupt_is_reported(warm, learner):
    result = warm.check(tiny_job(learner("interrupt")))
    assert result.status is Status.ERROR
    assert "KeyboardInterrupt" in result.problem.message
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED


def test_worker_killed_between_checks(warm, learner):
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED
    pid = warm.worker_pid()
    os.kill(pid, signal.SIGKILL)
    result = warm.check(tiny_job(learner("good")))
    assert result.status is Status.PASSED
    assert warm.worker_pid() != pid  # a new worker, started quietly
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED


def test_worker_killed_during_a_check(warm, learner, tmp_path):
    path = tmp_path / "slow.py"
    started = tmp_path / "started"
    path.write_text("import pathlib, time\n\ndef answer():\n"
                    f"    pathlib.Path({str(started)!r}).touch()\n"
                    "    time.sleep(1.5)\n    return 42\n")
    warm.check(tiny_job(learner("good")))  # make sure a worker is up
    pid = warm.worker_pid()

    def kill_once_started():
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_once_started)
    killer.start()
    result = warm.check(tiny_job(path))
    killer.join()
    assert result.status is Status.PASSED  # run again in a fresh process, no alarm
    assert warm.check(tiny_job(learner("good"))).status is Status.PASSED


def test_a_check_that_kills_the_worker_is_reported_not_obeyed(learner):
    engine = WarmEngine()
    try:
        result = engine.check(tiny_job(learner("kills_parent")))
        assert result.status is Status.CRASHED
        assert "os.kill" in result.problem.message
        assert engine.check(tiny_job(learner("good"))).status is Status.PASSED
    finally:
        engine.close()


def test_worker_leaves_when_the_runner_dies():
    script = (
        "import os, time\n"
        "from torchlings.engine.host.warm_engine import WarmEngine\n"
        "engine = WarmEngine(); engine.start()\n"
        "engine.wait_ready(60)\n"
        "print(engine.worker_pid(), flush=True)\n"
        "os._exit(0)  # no close(): as if the runner crashed\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=child_environment(), timeout=90)
    worker = int(done.stdout.strip())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived the runner that started it")


def test_concurrent_checks(warm, learner, tmp_path):
    jobs = []
    for index in range(4):
        path = tmp_path / f"c{index}.py"
        path.write_text(f"def answer():\n    return {41 + index % 2}\n")
        jobs.append(tiny_job(path))
    statuses = [r.status for r in check_many(warm, jobs, workers=2)]
    assert statuses == [Status.FAILED, Status.PASSED, Status.FAILED, Status.PASSED]


def test_a_slow_check_does_not_hold_up_a_fast_one(warm, learner, tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\n\ndef answer():\n    time.sleep(4)\n    return 42\n")
    fast = learner("good")
    warm.check(tiny_job(fast))  # the worker is up
    finished_at = {}

    def run(name, path):
        warm.check(tiny_job(path))
        finished_at[name] = time.perf_counter()

    threads = [threading.Thread(target=run, args=a) for a in (("slow", slow), ("fast", fast))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert finished_at["fast"] - began < 3.5
    assert finished_at["fast"] < finished_at["slow"]


def test_fresh_process_jobs_use_the_subprocess_engine(warm, learner, monkeypatch):
    used = []
    monkeypatch.setattr(SubprocessEngine, "check", lambda self, job, on_series=None: used.append(job))
    job = CheckJob(tiny_job(learner("good")).check_file, learner("good"),
                   needs_fresh_process=True)
    warm.check(job)
    assert used == [job]


def test_no_worker_means_checks_run_cold(monkeypatch, learner):
    def cannot_start(**_):
        raise OSError("no more processes")

    monkeypatch.setattr(warm_engine, "Worker", cannot_start)
    used = []
    monkeypatch.setattr(SubprocessEngine, "check", lambda self, job, on_series=None: used.append(job))
    engine = WarmEngine()
    engine.start()
    assert not engine.is_ready()
    # Waiting for it returns at once, and says why checks run cold.
    assert engine.wait_ready(timeout=5)
    assert "no more processes" in engine.startup_error
    job = tiny_job(learner("good"))
    engine.check(job)
    engine.check(job)
    assert used == [job, job]
    engine.close()


def test_fixtures_give_identical_results_on_both_engines(warm, cold, learner):
    names = ["good", "segfault", "abort", "os_exit", "exit_in_test", "exit_at_import",
             "interrupt", "torch_state"]
    jobs = [tiny_job(learner(name)) for name in names]
    warm_results = check_many(warm, jobs)
    cold_results = check_many(cold, jobs)
    for name, w, c in zip(names, warm_results, cold_results, strict=True):
        assert comparable(w) == comparable(c), name


def test_timeout_identical_on_both_engines(warm, cold, tmp_path):
    # Both keep the exercise's own time from the start of the check, whatever
    # their start-up took, so both say the same.
    path = tmp_path / "loop.py"
    path.write_text("import time\n\ndef answer():\n    while True:\n        time.sleep(0.01)\n")
    with ThreadPoolExecutor(2) as pool:  # the two wait out their clocks side by side
        both = pool.map(lambda engine: check_many(engine, [tiny_job(path, 0.5)]), (warm, cold))
        w, c = list(both)
    assert comparable(w[0]) == comparable(c[0])
    assert w[0].status is Status.TIMEOUT
    assert w[0].first_failure.learner_line.line == 5  # the line it was on, on both




def test_time_running_out_in_pytest_itself_is_still_a_timeout(warm, tmp_path):
    # A check file that never finishes loading: the deadline passes while
    # pytest collects it. That is reported as the timeout it is, not as a
    # broken check.
    check = tmp_path / "test_slow_to_load.py"
    check.write_text("import time\n\nwhile True:\n    time.sleep(0.01)\n\n"
                     "def test_answer(exercise):\n    pass\n")
    exercise = tmp_path / "answer.py"
    exercise.write_text("def answer():\n    return 42\n")
    result = warm.check(CheckJob(check, exercise, 0.2))
    assert result.status is Status.TIMEOUT
    assert f"did not finish within {0.2 + CHECK_GRACE:g} s" in result.first_failure.message


def test_a_checks_tmp_path_stays_in_its_scratch_folder(warm, cold, tmp_path):
    # pytest's default would be the user's shared pytest-of-<user> folder, whose
    # old runs (other projects', this suite's) it deletes at the end of a session.
    check = tmp_path / "test_uses_tmp_path.py"
    check.write_text("def test_answer(exercise, tmp_path):\n"
                     "    print('TMP', tmp_path)\n"
                     "    assert exercise.answer() == 42\n")
    exercise = tmp_path / "answer.py"
    exercise.write_text("def answer():\n    return 42\n")
    for engine in (warm, cold):
        result = engine.check(CheckJob(check, exercise, 10))
        assert result.status is Status.PASSED, result.summary
        printed = result.tests[0].output
        assert "TMP " in printed and "pytest-of-" not in printed, printed
        assert "torchlings-check-" in printed  # the check's own scratch, removed after it

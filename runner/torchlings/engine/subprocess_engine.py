"""The plain engine: one fresh Python process per check.

Slow to start (every check imports torch again) but needs nothing from the
platform beyond subprocesses, so it is the fallback where forking is
unavailable or unsafe, and what `--no-warm` asks for.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from torchlings.engine.jobs import CheckJob
from torchlings.engine.outcome import OutputSink, finished
from torchlings.engine.result import CheckResult

# A fresh process pays for importing torch before the check's own clock
# starts to matter; on a loaded 2-core machine that can take several seconds.
STARTUP_ALLOWANCE = 20.0


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # numpy's OpenBLAS starts its thread pool at import. The warm worker must
    # hold no threads when it forks, and both engines must compute the same
    # way, so numpy's BLAS is single-threaded in every check process (torch's
    # own pool is unaffected and starts lazily, in the child).
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # The runner's own package must be importable by the child even when it
    # runs from a source tree that is not installed.
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def kill_group(process: subprocess.Popen[bytes]) -> None:
    if hasattr(os, "killpg"):  # not on Windows: there only the process itself is killed
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        process.kill()
    except ProcessLookupError:
        pass


class SubprocessEngine:
    name = "subprocess"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def start(self) -> None:
        pass  # nothing to warm: every check starts its own Python

    def is_ready(self) -> bool:
        return True

    def check(self, job: CheckJob) -> CheckResult:
        with tempfile.TemporaryDirectory(prefix="torchlings-check-") as scratch:
            result_file = Path(scratch) / "result.json"
            workdir = Path(scratch) / "cwd"
            workdir.mkdir()
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "torchlings.engine.child",
                 # Absolute: the child runs in a scratch folder of its own.
                 str(Path(job.check_file).resolve()), str(Path(job.exercise_file).resolve()),
                 str(result_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=child_environment(),
                start_new_session=True,  # its own process group, killed as one
            )
            assert process.stdout is not None
            with self._lock:
                self._running.add(process)
            sink = OutputSink(process.stdout)
            limit = job.timeout + STARTUP_ALLOWANCE
            timed_out = False
            try:
                process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                # Also reaps anything the learner's code started in the group.
                kill_group(process)
                process.wait()
                with self._lock:
                    self._running.discard(process)
            output, dropped = sink.text()
            process.stdout.close()
            return finished(
                result_file=result_file,
                returncode=process.returncode,
                output=output,
                dropped=dropped,
                timed_out=timed_out,
                timeout=job.timeout,
                seconds=time.perf_counter() - started,
            )

    def close(self) -> None:
        """Kill the checks still running; their callers get what the kill left."""
        with self._lock:
            running = list(self._running)
        for process in running:
            kill_group(process)

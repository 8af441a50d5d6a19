"""The plain engine: one fresh Python process per check.

Each check starts `torchlings.engine.worker.supervisor`, a small supervisor that forks the
check process (the same start-up as the warm worker's children) and imports
torch there. Slow for a session of many checks (each imports torch again),
but the fastest for a single one, and it needs nothing from the platform
beyond subprocesses: the one-shot commands use it, and it is the fallback
where forking a warm worker is unavailable or unsafe (CUDA), or not wanted
(`--no-warm`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from torchlings.engine import reaper
from torchlings.engine.host.check_run import CheckRun
from torchlings.engine.host.outcome import OutputSink
from torchlings.engine.jobs import CheckJob, SeriesCallback
from torchlings.engine.result import CheckResult

# A fresh process pays for importing torch before the check's own clock
# starts to matter; on a loaded 2-core machine that can take several seconds.
STARTUP_ALLOWANCE = 20.0
# How often a running check's folders are measured against their ceiling.
SCRATCH_LOOK = 0.5


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
    # torch.compile's inductor builds its C++ in a pool of worker processes,
    # one a core, each importing torch: for a check's small model that pool
    # costs more than it saves (a compile check took 26 s with it and 17 s
    # without on the loaded 2-core machine). One compile thread, in process.
    env.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
    # The runner's own package must be importable by the child even when it
    # runs from a source tree that is not installed.
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


class SubprocessEngine:
    name = "subprocess"
    startup_error: str | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[reaper.Child] = set()

    def start(self) -> None:
        pass  # nothing to warm: every check starts its own Python

    def is_ready(self) -> bool:
        return True

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True

    def check(self, job: CheckJob, on_series: SeriesCallback | None = None) -> CheckResult:
        run = CheckRun(job, STARTUP_ALLOWANCE, on_series)
        try:
            return run.unreadable() or self._run(run)
        finally:
            run.close()

    def _run(self, run: CheckRun) -> CheckResult:
        request = {**run.request, "parent": os.getpid()}
        pass_fds: list[int] = []
        if run.series is not None:
            request["series_fd"] = run.series.write_fd
            pass_fds.append(run.series.write_fd)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "torchlings.engine.worker.supervisor"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=request["cwd"],
            env=child_environment(),
            pass_fds=pass_fds,
            start_new_session=True,  # its own process group, killed as one
        )
        # Opened before anyone can reap it: signals go to this process or nowhere.
        supervisor = reaper.Child(process)
        if run.series is not None:
            run.series.handed_over()
        assert process.stdin is not None and process.stdout is not None
        with self._lock:
            self._running.add(supervisor)
        sink = OutputSink(process.stdout)
        timed_out = False
        try:
            # The nonce goes through a pipe, not the command line, where any
            # process (learner code included) could read it.
            try:
                process.stdin.write(json.dumps(request).encode("utf-8"))
                process.stdin.close()
            except OSError:
                pass  # it died at once: its exit status tells why
            deadline = time.monotonic() + run.limit
            while process.poll() is None:  # looking at its folders now and then
                try:
                    process.wait(timeout=min(SCRATCH_LOOK, max(0.0, deadline - time.monotonic())))
                except subprocess.TimeoutExpired:
                    if run.scratch_over_limit():
                        break  # ended below, reported as what it is
                    if time.monotonic() >= deadline:
                        raise
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # Timed out, or interrupted: it ends the check and all below it, then itself.
            supervisor.end()
            process.wait()
            with self._lock:
                self._running.discard(supervisor)
        output, dropped = sink.text()
        process.stdout.close()
        return run.result(returncode=process.returncode, output=output, dropped=dropped,
                          timed_out=timed_out, seconds=time.perf_counter() - started)

    def close(self) -> None:
        """Kill the checks still running; their callers get what the kill left."""
        with self._lock:
            running = list(self._running)
        for supervisor in running:
            supervisor.end()

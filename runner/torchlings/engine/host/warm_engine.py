"""The warm engine: checks run in children forked from a worker that has torch imported.

The worker (`torchlings.engine.worker.warm_worker`) is a separate process started once,
in the background, by `start()` or by the first check. The runner itself (the
Textual app, with its threads) never forks. Per check the engine:

- makes the check's scratch folder and request (`CheckRun`, shared with the
  subprocess engine) and a pipe, sends the worker the request with the pipe's
  write end; the worker forks a child (`childstart`, the same start-up as the
  subprocess engine's) whose stdout and stderr are that pipe;
- drains the pipe on a thread (OutputSink), so a flood never blocks the child;
- waits for the worker to report that the child exited. The child keeps the
  exercise's timeout itself (its own alarm); the engine's clock is the
  backstop, and on it the engine asks the worker to kill the child and all
  it started (the engine never signals a check itself: only the worker,
  its parent, knows whether it is reaped and its number free for reuse);
- builds the CheckResult with the same `CheckRun.result` as the subprocess
  engine, so both paths give identical results.

If the worker dies or is stopped (learner code can kill or SIGSTOP it), the
next check starts a new one; a check that was in flight is run once more on a
worker of its own, so the check that did it suffers alone and its siblings in
a `verify` pass or fail on their own merits. Checks that must not fork (CUDA)
go to the SubprocessEngine, as does everything when the worker cannot start:
`wait_ready` returns then, and `startup_error` says why. After `close()`
nothing starts again: checks still running are killed and return a
"stopped" result.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from torchlings.engine.host.check_run import CheckRun
from torchlings.engine.host.outcome import OutputSink
from torchlings.engine.host.subprocess_engine import SubprocessEngine
from torchlings.engine.host.worker_client import Pending, Worker
from torchlings.engine.jobs import CheckJob, SeriesCallback
from torchlings.engine.problems import problem_result
from torchlings.engine.result import CheckResult, Status

# Beyond the catalog's timeout, for what the child does before and after the
# check's own work (pytest's set-up, writing the result) on a busy machine.
STARTUP_ALLOWANCE = 3.0
# How long a check waits for a worker that is still importing torch.
READY_WAIT = 60.0
# How long to wait for the worker to confirm a fork, or a killed child's exit.
REPLY_WAIT = 10.0
# After this many workers failed to start, stop trying and run checks cold.
MAX_FAILED_STARTS = 2
# How often a check waiting for its child looks whether the worker was stopped.
STOPPED_LOOK = 0.5


def warm_supported() -> bool:
    """Whether this platform can fork a worker and pass it descriptors."""
    return (
        hasattr(os, "fork")
        and hasattr(socket, "AF_UNIX")
        and hasattr(socket, "CMSG_SPACE")
        and sys.platform != "win32"
    )


def _worker_lost() -> CheckResult:
    message = (
        "The check was stopped twice because the process it ran in was killed or stopped. "
        "If your code sends signals to other processes (os.kill, os.killpg), take that out."
    )
    return problem_result(Status.CRASHED, "WorkerLost", message,
                          summary="the check's process was killed")


def _stopped() -> CheckResult:
    return problem_result(Status.ERROR, "Stopped", "The runner stopped before this check finished.",
                          summary="stopped before it finished")


class WarmEngine:
    name = "warm"

    def __init__(self) -> None:
        self._fallback = SubprocessEngine()
        self._worker: Worker | None = None
        self._lock = threading.Lock()
        self._failed_starts = 0
        self._closed = False
        self._in_flight: set[tuple[Worker, Pending]] = set()
        self._settled = threading.Event()
        # Why the warm worker could not start, for the screen to show; checks
        # then run in a fresh Python each.
        self.startup_error: str | None = None
        # CPU time (user + system) of the last check's child: a figure for
        # benchmarks that does not depend on how busy the machine is.
        self.last_cpu_seconds = 0.0

    # -- the worker's life -------------------------------------------------

    def start(self) -> None:
        """Start the worker importing torch; returns at once."""
        with self._lock:
            self._current_worker()

    def is_ready(self) -> bool:
        worker = self._worker
        return worker is not None and worker.ready.is_set() and worker.alive()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until checks can start without waiting for a warm-up.

        True once the worker is ready, or once it failed to start (checks then
        run cold, and `startup_error` says why); False if `timeout` passed first.
        """
        with self._lock:
            self._current_worker()
        return self._settled.wait(timeout)

    def _worker_settled(self, worker: Worker) -> None:
        # From the worker's reading thread: it said ready, or died before it could.
        if worker.said_ready:
            self._settled.set()
            return
        with self._lock:
            if self._worker is worker and not self._closed:
                self._worker = None
                self._failed_starts += 1
                self.startup_error = worker.describe_failure()
        self._settled.set()

    def _new_worker(self) -> Worker | None:
        try:
            return Worker(on_settled=self._worker_settled)
        except OSError as exc:
            self.startup_error = f"The warm worker could not be started ({exc}); checks run cold."
            self._settled.set()
            return None

    def _current_worker(self) -> Worker | None:
        """The running worker, starting a new one if there is none (call with the lock held)."""
        if self._closed or self._failed_starts >= MAX_FAILED_STARTS:
            self._settled.set()
            return None
        if self._worker is not None and not self._worker.alive():
            old, self._worker = self._worker, None
            old.stop()
        if self._worker is None:
            self._worker = self._new_worker()
            if self._worker is None:
                self._failed_starts += 1
        return self._worker

    def _ready_worker(self) -> Worker | None:
        for _attempt in range(2):
            with self._lock:
                worker = self._current_worker()
            if worker is None:
                return None
            came_up = worker.ready.wait(READY_WAIT) and worker.said_ready
            if came_up and worker.alive():
                return worker
            if came_up:
                continue  # it was up and has died since: a new one, nothing counted
            # It failed to import torch, or took far too long: count it and let
            # this check (and the next, if it fails again) run cold.
            with self._lock:
                if self._worker is worker:
                    self._worker = None
                    self._failed_starts += 1
                    self.startup_error = worker.describe_failure()
            self._settled.set()
            worker.kill()
            worker.stop()
            return None
        return None

    def worker_pid(self) -> int | None:
        """The worker's process id (for tests and diagnostics)."""
        worker = self._worker
        return worker.process.pid if worker is not None else None

    def worker_threads(self) -> int:
        """Threads the worker held when it became ready (0: the platform cannot tell)."""
        worker = self._worker
        return worker.threads if worker is not None else -1

    # -- checks ------------------------------------------------------------

    def check(self, job: CheckJob, on_series: SeriesCallback | None = None) -> CheckResult:
        if job.needs_fresh_process:
            return self._fallback.check(job, on_series)
        worker = self._ready_worker()
        if self._closed:
            return _stopped()  # closing (Ctrl-C, quit): stop, never start afresh
        if worker is None:
            return self._fallback.check(job, on_series)
        result = self._check_on(worker, job, on_series)
        if self._closed:
            return _stopped()
        if result is not None:
            return result
        # The worker died or was stopped under this check: by this check, or
        # by a sibling. Run it again on a worker of its own, which only this
        # check can harm.
        own = self._new_worker()
        if own is None:
            return self._fallback.check(job, on_series)
        try:
            if not (own.ready.wait(READY_WAIT) and own.said_ready):
                return self._fallback.check(job, on_series)
            result = self._check_on(own, job, on_series)
        finally:
            own.kill()
            own.stop()
        if self._closed:
            return _stopped()
        return result if result is not None else _worker_lost()

    def _check_on(self, worker: Worker, job: CheckJob,
                  on_series: SeriesCallback | None) -> CheckResult | None:
        run = CheckRun(job, STARTUP_ALLOWANCE, on_series)
        try:
            unreadable = run.unreadable()
            if unreadable is not None:
                return unreadable
            read_fd, write_fd = os.pipe()
            fds = [write_fd] + ([run.series.write_fd] if run.series is not None else [])
            started = time.perf_counter()
            sink = OutputSink(os.fdopen(read_fd, "rb"))  # closes it once every writer is gone
            try:
                pending = worker.submit(run.request, fds)
            finally:
                os.close(write_fd)  # the child holds the only write ends now
                if run.series is not None:
                    run.series.handed_over()
            with self._lock:
                self._in_flight.add((worker, pending))
            try:
                return self._wait(worker, run, pending, sink, started)
            except BaseException:
                if not pending.exited.is_set():
                    # _wait ends the check itself; this is for when it raised. The worker
                    # ends it: only the process that will reap it may signal it.
                    worker.end(pending)
                raise
            finally:
                with self._lock:
                    self._in_flight.discard((worker, pending))
        finally:
            run.close()

    def _wait(self, worker: Worker, run: CheckRun, pending: Pending, sink: OutputSink,
              started: float) -> CheckResult | None:
        if not pending.started.wait(REPLY_WAIT):
            self._discard(worker)
            return None
        deadline = time.monotonic() + run.limit
        while not pending.exited.wait(min(STOPPED_LOOK, max(0.0, deadline - time.monotonic()))):
            if worker.is_stopped():
                worker.end_while_stopped(pending)
                self._discard(worker)  # it will never report: the check is lost
                return None
            if time.monotonic() >= deadline:
                break
            if run.scratch_over_limit():
                break  # ended below like a timeout, reported as what it is
        timed_out = not pending.exited.is_set() and not run.scratch_overflowed
        # A check that finished: the worker ended what it left running when
        # it reaped it. One that ran out of time: the worker ends it now.
        ending = not pending.exited.is_set()
        if ending:
            worker.end(pending)
        if ending and not pending.exited.wait(REPLY_WAIT):
            self._discard(worker)  # it cannot even reap a killed child: replace it
        if pending.lost and not timed_out:
            self._discard(worker)  # dead or unable to fork: the next check gets a new one
            return None
        self.last_cpu_seconds = pending.cpu_seconds
        output, dropped = sink.text()
        return run.result(returncode=pending.returncode, output=output, dropped=dropped,
                          timed_out=timed_out, seconds=time.perf_counter() - started)

    def _discard(self, worker: Worker) -> None:
        with self._lock:
            if self._worker is worker:
                self._worker = None
        worker.kill()
        worker.stop()

    def close(self) -> None:
        """Stop: kill the checks still running (their callers get a 'stopped' result)."""
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
            in_flight = list(self._in_flight)
        self._settled.set()
        for owner, pending in in_flight:
            owner.end(pending)
        if worker is not None:
            worker.stop()
        self._fallback.close()

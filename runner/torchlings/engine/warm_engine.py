"""The warm engine: checks run in children forked from a worker that has torch imported.

The worker (`torchlings.engine.worker`) is a separate process started once,
in the background, by `start()` or by the first check. The runner itself (the
Textual app, with its threads) never forks. Per check the engine:

- makes a scratch folder and a pipe, sends the worker a request carrying the
  pipe's write end; the worker forks a child in its own process group whose
  stdout and stderr are that pipe;
- drains the pipe on a thread (OutputSink), so a flood never blocks the child;
- waits for the worker to report that the child exited, and on a timeout
  kills the child's whole process group itself: the clock is kept here,
  where nothing learner code does can stop it;
- builds the CheckResult with the same `outcome.finished` as the subprocess
  engine, so both paths give identical results.

If the worker dies, the next check silently starts a new one; a check that
was in flight when it died is run once more on a new worker. Checks that
must not fork (CUDA) go to the SubprocessEngine, as does everything when the
worker cannot start. After `close()` nothing starts again: checks still
running are killed and return a "stopped" result.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from torchlings.engine import protocol, sandbox
from torchlings.engine.jobs import CheckJob
from torchlings.engine.outcome import OutputSink, finished
from torchlings.engine.result import CheckResult, Status, TestOutcome
from torchlings.engine.subprocess_engine import SubprocessEngine, child_environment

# Beyond the catalog's timeout, for what the child does before and after the
# check's own work (pytest's set-up, writing the result) on a busy machine.
STARTUP_ALLOWANCE = 3.0
# How long a check waits for a worker that is still importing torch.
READY_WAIT = 60.0
# How long to wait for the worker to confirm a fork, or a killed child's exit.
REPLY_WAIT = 10.0
# After this many workers failed to start, stop trying and run checks cold.
MAX_FAILED_STARTS = 2


def warm_supported() -> bool:
    """Whether this platform can fork a worker and pass it descriptors."""
    return (
        hasattr(os, "fork")
        and hasattr(socket, "AF_UNIX")
        and hasattr(socket, "CMSG_SPACE")
        and sys.platform != "win32"
    )


class _Pending:
    """One check the worker is running, as the engine sees it."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.returncode: int | None = None
        self.cpu_seconds = 0.0
        self.started = threading.Event()
        self.exited = threading.Event()
        self.lost = False  # the worker died or refused before the child exited


class _Worker:
    """One worker process and the thread that reads what it says."""

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="torchlings-worker-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "torchlings.engine.worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=self.home,
                env=child_environment(),
                # Its own session: a Ctrl-C meant for the runner never reaches it.
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            shutil.rmtree(self.home, ignore_errors=True)
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.ready = threading.Event()
        self.dead = threading.Event()
        self.failure = ""
        self.threads = -1
        self.said_ready = False
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count()
        threading.Thread(target=self._listen, name="torchlings-worker", daemon=True).start()

    def alive(self) -> bool:
        return not self.dead.is_set() and self.process.poll() is None

    def submit(self, request: dict[str, Any], output_fd: int) -> _Pending:
        pending = _Pending()
        with self._lock:
            request_id = str(next(self._ids))
            if self.dead.is_set():
                pending.lost = True
                pending.started.set()
                pending.exited.set()
                return pending
            self._pending[request_id] = pending
            try:
                protocol.send(self.sock, {**request, "type": "check", "id": request_id},
                              [output_fd])
            except OSError:
                self._pending.pop(request_id, None)
                pending.lost = True
                pending.started.set()
                pending.exited.set()
        return pending

    def _listen(self) -> None:
        reader = protocol.Reader(self.sock)
        try:
            while True:
                for message, fds in reader.read_available():
                    for fd in fds:  # the worker never sends any; never leak one
                        os.close(fd)
                    self._handle(message)
        except (EOFError, OSError, ValueError):
            pass
        finally:
            with self._lock:
                self.dead.set()
                for pending in self._pending.values():
                    pending.lost = True
                    pending.started.set()
                    pending.exited.set()
                self._pending.clear()
            self.ready.set()  # wake anyone waiting for a worker that will never be ready

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ready":
            self.threads = int(message.get("threads", -1))
            self.said_ready = True
            self.ready.set()
            return
        if kind == "failed":
            self.failure = str(message.get("message", ""))
            return
        with self._lock:
            pending = self._pending.get(str(message.get("id")))
            if pending is None:
                return
            if kind == "started":
                pending.pid = int(message["pid"])
                pending.started.set()
                return
            del self._pending[str(message.get("id"))]
        if kind == "exited":
            pending.returncode = int(message["returncode"])
            pending.cpu_seconds = float(message.get("cpu", 0.0))
        else:  # "error": the worker could not fork
            pending.lost = True
        pending.started.set()
        pending.exited.set()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def _worker_lost() -> CheckResult:
    message = (
        "The check was stopped twice because the process it ran in was killed. If your "
        "code sends signals to other processes (os.kill, os.killpg), take that out."
    )
    problem = TestOutcome(name="running the check", outcome="error", exc_type="WorkerLost",
                          message=message)
    return CheckResult(Status.CRASHED, summary="the check's process was killed", problem=problem)


def _stopped() -> CheckResult:
    problem = TestOutcome(name="running the check", outcome="error", exc_type="Stopped",
                          message="The runner stopped before this check finished.")
    return CheckResult(Status.ERROR, summary="stopped before it finished", problem=problem)


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class WarmEngine:
    name = "warm"

    def __init__(self) -> None:
        self._fallback = SubprocessEngine()
        self._worker: _Worker | None = None
        self._lock = threading.Lock()
        self._failed_starts = 0
        self._closed = False
        self._in_flight: set[_Pending] = set()
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

    def _current_worker(self) -> _Worker | None:
        """The running worker, starting a new one if there is none (call with the lock held)."""
        if self._closed or self._failed_starts >= MAX_FAILED_STARTS:
            return None
        if self._worker is not None and not self._worker.alive():
            old, self._worker = self._worker, None
            old.stop()
        if self._worker is None:
            try:
                self._worker = _Worker()
            except OSError:
                self._failed_starts += 1
                return None
        return self._worker

    def _ready_worker(self) -> _Worker | None:
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
            worker.process.kill()
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

    def check(self, job: CheckJob) -> CheckResult:
        if job.needs_fresh_process:
            return self._fallback.check(job)
        # A worker that dies under a check (killed from outside, or by the
        # check itself) is replaced and the check run again, quietly. Not in
        # a plain subprocess: there the learner's os.kill(os.getppid(), ...)
        # would hit the runner itself.
        for _attempt in range(2):
            worker = self._ready_worker()
            if self._closed:
                return _stopped()  # closing (Ctrl-C, quit): stop, never start afresh
            if worker is None:
                return self._fallback.check(job)
            result = self._check_on(worker, job)
            if self._closed:
                return _stopped()
            if result is not None:
                return result
        return _worker_lost()

    def _check_on(self, worker: _Worker, job: CheckJob) -> CheckResult | None:
        with tempfile.TemporaryDirectory(prefix="torchlings-check-") as scratch:
            result_file = Path(scratch) / "result.json"
            workdir = Path(scratch) / "cwd"
            workdir.mkdir()
            read_fd, write_fd = os.pipe()
            stream = os.fdopen(read_fd, "rb")
            request = {
                "check": str(Path(job.check_file).resolve()),
                "exercise": str(Path(job.exercise_file).resolve()),
                "result": str(result_file),
                "cwd": str(workdir),
                "memory": sandbox.memory_limit_bytes(),
            }
            started = time.perf_counter()
            sink = OutputSink(stream)  # closes the stream once every writer is gone
            try:
                pending = worker.submit(request, write_fd)
            finally:
                os.close(write_fd)  # the child holds the only write end now
            with self._lock:
                self._in_flight.add(pending)
            try:
                return self._wait(worker, job, pending, sink, result_file, started)
            finally:
                with self._lock:
                    self._in_flight.discard(pending)
                _kill_group(pending.pid)  # the sink closes the stream at end of output

    def _wait(self, worker: _Worker, job: CheckJob, pending: _Pending, sink: OutputSink,
              result_file: Path, started: float) -> CheckResult | None:
        if not pending.started.wait(REPLY_WAIT):
            self._discard(worker)
            return None
        timed_out = not pending.exited.wait(job.timeout + STARTUP_ALLOWANCE)
        # Kill the group either way: a timed-out check, or whatever the
        # learner's code left running in the background after it finished.
        _kill_group(pending.pid)
        if timed_out and not pending.exited.wait(REPLY_WAIT):
            self._discard(worker)  # it cannot even reap a killed child: replace it
        if pending.lost and not timed_out:
            self._discard(worker)  # dead or unable to fork: the next check gets a new one
            return None
        self.last_cpu_seconds = pending.cpu_seconds
        output, dropped = sink.text()
        return finished(
            result_file=result_file,
            returncode=pending.returncode,
            output=output,
            dropped=dropped,
            timed_out=timed_out,
            timeout=job.timeout,
            seconds=time.perf_counter() - started,
        )

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            if self._worker is worker:
                self._worker = None
        worker.process.kill()
        worker.stop()

    def close(self) -> None:
        """Stop: kill the checks still running (their callers get a 'stopped' result)."""
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
            in_flight = list(self._in_flight)
        for pending in in_flight:
            _kill_group(pending.pid)
        if worker is not None:
            worker.stop()

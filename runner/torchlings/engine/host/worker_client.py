"""The warm worker as the engine sees it: the process, its socket, its checks.

`Worker` starts `torchlings.engine.worker.warm_worker`, reads what it says on a thread of
its own, and hands each check request a `Pending` that fills in as the worker
reports the child's start and exit. When the worker dies every pending check
is marked lost, so nobody waits for an answer that cannot come.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from typing import Any

from torchlings.engine import protocol, reaper
from torchlings.engine.host.subprocess_engine import child_environment


class Pending:
    """One check the worker is running, as the engine sees it."""

    def __init__(self) -> None:
        self.id = ""
        self.pid: int | None = None
        self.returncode: int | None = None
        self.cpu_seconds = 0.0
        self.started = threading.Event()
        self.exited = threading.Event()
        self.lost = False  # the worker died or refused before the child exited


class Worker:
    """One worker process and the thread that reads what it says."""

    def __init__(self, on_settled: Callable[[Worker], None] | None = None) -> None:
        self.on_settled = on_settled
        self.home = tempfile.mkdtemp(prefix="torchlings-worker-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "torchlings.engine.worker.warm_worker", str(theirs.fileno())],
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
        # Opened while it cannot have been reaped: it names this worker for good.
        self.pidfd = reaper.open_pidfd(self.process.pid)
        if self.pidfd is not None:  # closed with this object, never while a thread may use it
            weakref.finalize(self, os.close, self.pidfd)
        self.ready = threading.Event()
        self.dead = threading.Event()
        self.failure = ""
        self.threads = -1
        self.said_ready = False
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count()
        threading.Thread(target=self._listen, name="torchlings-worker", daemon=True).start()

    def alive(self) -> bool:
        return not self.dead.is_set() and self.process.poll() is None

    def is_stopped(self) -> bool:
        """Stopped by a signal (SIGSTOP from learner code): it will answer nothing."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            return False
        return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] in (b"T", b"t")

    def describe_failure(self) -> str:
        """Why this worker never became ready, in words for the learner."""
        if self.failure:
            last = self.failure.strip().splitlines()[-1]
            return f"The warm worker could not start ({last}); checks run in a fresh Python instead."
        code = self.process.poll()
        how = f"exit code {code}" if code is not None else "no answer"
        return (f"The warm worker stopped before it was ready ({how}); checks run in a "
                "fresh Python instead.")

    def submit(self, request: dict[str, Any], fds: list[int]) -> Pending:
        pending = Pending()
        with self._lock:
            request_id = str(next(self._ids))
            pending.id = request_id
            if self.dead.is_set():
                pending.lost = True
                pending.started.set()
                pending.exited.set()
                return pending
            self._pending[request_id] = pending
            try:
                protocol.send(self.sock, {**request, "type": "check", "id": request_id,
                                          "fds": len(fds)}, fds)
            except OSError:
                self._pending.pop(request_id, None)
                pending.lost = True
                pending.started.set()
                pending.exited.set()
        return pending

    def end(self, pending: Pending) -> None:
        """Ask the worker to end a check it still runs. Never a signal from here:
        only the worker knows whether the child is reaped (its number free for reuse)."""
        if pending.exited.is_set():
            return
        with self._lock, contextlib.suppress(OSError):
            protocol.send(self.sock, {"type": "end", "id": pending.id})

    def end_while_stopped(self, pending: Pending) -> None:
        """End a check of a worker that is stopped (SIGSTOP), before the worker is killed.

        A stopped worker reaps nothing, so its child keeps its number; the
        pidfd, opened first and checked to name a child of this worker, makes
        sure of it.
        """
        if pending.pid is None or pending.exited.is_set():
            return
        pidfd = reaper.open_pidfd(pending.pid)
        if pidfd is None:
            return  # gone, or no pidfd here: it dies with the worker (parent-death signal)
        try:
            if reaper.parent_of(pending.pid) == self.process.pid and self.is_stopped():
                reaper.kill_check(pending.pid, pidfd)
        finally:
            os.close(pidfd)

    def kill(self) -> None:
        """SIGKILL the worker process itself (our own child: safe until we reap it)."""
        with contextlib.suppress(OSError):
            if self.pidfd is not None:
                reaper.signal_pidfd(self.pidfd)
            elif self.process.poll() is None:
                self.process.kill()

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
            settled_now = not self.ready.is_set()
            self.ready.set()  # wake anyone waiting for a worker that will never be ready
            if settled_now and self.on_settled is not None:
                self.on_settled(self)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ready":
            self.threads = int(message.get("threads", -1))
            self.said_ready = True
            self.ready.set()
            if self.on_settled is not None:
                self.on_settled(self)
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
            self.kill()
            self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)

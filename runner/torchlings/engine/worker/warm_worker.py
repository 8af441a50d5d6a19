"""The warm worker: `python -m torchlings.engine.worker.warm_worker FD`.

Started once per runner by the WarmEngine. It pays for importing torch and
pytest a single time, then forks one child per check, so a check costs the
check's own work instead of a fresh interpreter and a torch import.

Fork is only safe because this process stays simple: it does no tensor work,
never touches CUDA and holds no threads (torch's thread pools start lazily, on
the first parallel op, which only ever happens in a child). The forked child
gets a copy of a freshly imported torch and nothing else.

It talks to the engine over the Unix socket FD with length-prefixed JSON
messages (see `protocol`). A request carries one file descriptor: the write
end of a pipe the engine drains, which becomes the child's stdout and stderr.
The worker only forks and reaps; timeouts are enforced by the engine, which
kills the child's process group, and by each child itself (its own alarm), so
nothing learner code does can block them. The worker is a child subreaper:
what a check starts stays below it, and is killed when the check ends. It
leaves when the engine's end of the socket closes (the runner ended, however
it ended), and takes every check still running with it.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import linecache
import os
import pkgutil
import selectors
import shutil
import signal
import socket
import sys
import traceback
from typing import Any

from torchlings.engine import protocol, reaper
from torchlings.engine.child import start as childstart


def thread_count() -> int:
    """Threads in this process, where the platform can tell (0 when it cannot)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def warm_up() -> None:
    """Import everything a check needs, without doing any of a check's work."""
    from torchlings.engine.child import sandbox

    sandbox.prepare_process()
    import numpy  # noqa: F401
    import numpy.random  # noqa: F401 - numpy loads it lazily, on the first seed
    import pytest  # noqa: F401
    import torch  # noqa: F401
    from _pytest import config as pytest_config

    # pytest imports its built-in plugins inside pytest.main; importing them
    # here moves that cost out of every child.
    for name in (*pytest_config.essential_plugins, *pytest_config.default_plugins):
        try:
            __import__(f"_pytest.{name}")
        except ImportError:
            pass
    import pdb  # noqa: F401 - pytest's debugging plugin imports it at configure time
    try:
        import readline  # noqa: F401 - and pdb's command line, this
    except ImportError:
        pass

    import _pytest._argcomplete  # noqa: F401
    import _pytest.assertion.rewrite  # noqa: F401
    import _pytest.python  # noqa: F401

    from torchlings.checkapi import testing  # noqa: F401
    from torchlings.engine import reaper  # noqa: F401
    from torchlings.engine.child import run_check  # noqa: F401

    prime_line_cache()


def warm_up_more() -> None:
    """What only some checks need, imported once the worker has nothing else to do.

    The first optimizer a process builds imports torch._dynamo (and sympy with
    it): 800 modules, one to several seconds. Importing it before "ready"
    would delay the first verdict by that much; importing it in every child
    would make every training check pay it. So the worker takes it in the
    first quiet moment after it is ready (or after BATCH_SERVED verdicts, in a
    run of checks with no quiet moment), and the children forked after that
    get it for free. It starts no threads.
    """
    # codecache fixes, at import, where torch.compile keeps its precompiled header
    # (150 MB, seconds to build): here, under the usual temporary folder, not in
    # the private one of every check, which would build it again each time.
    import torch._dynamo  # noqa: F401
    import torch._inductor.codecache  # noqa: F401
    import torch.distributions  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401

    import torchlings.checkapi.testkit as testkit

    # The testkit's modules (gymnasium with them): a check that imports them
    # can be prepared before the fork (prefork) only once they are loaded.
    for module in pkgutil.iter_modules(testkit.__path__):
        importlib.import_module(f"{testkit.__name__}.{module.name}")
    import torch

    torch.manual_seed(0)  # the files on its own stack (torch._dynamo's among them, now)
    prime_line_cache()
    gc.collect()
    gc.freeze()


def prime_line_cache() -> None:
    """Read once, here, the source lines a check process would read again and again.

    torch.manual_seed records the caller's stack (traceback.format_stack, for
    CUDA's lazy seeding) on every call, a reset in every check process
    included, and that reads the source of every frame on it: pytest's,
    pluggy's, torchlings' own and torch's. Read here, the children inherit
    the lines instead of reading them from disk each time. (torch's own
    files on that stack: warm_up_more seeds once, which reads them.)
    """
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if any(part in path for part in _LINES_WORTH_KEEPING):
            linecache.getlines(path)


# Packages whose source lines the children would otherwise read on every check.
_LINES_WORTH_KEEPING = (f"{os.sep}_pytest{os.sep}", f"{os.sep}pluggy{os.sep}",
                        f"{os.sep}torchlings{os.sep}")

# A quiet moment: no request for this long.
IDLE_SECONDS = 0.3
# Checks served with no quiet moment, after which the worker imports the rest anyway.
BATCH_SERVED = 4
# How often the worker makes sure the runner that started it is still there.
PARENT_CHECK_SECONDS = 1.0


class Checks:
    """The check processes this worker forked: pid -> (request id, scratch folder)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.running: dict[int, tuple[str, str]] = {}
        self.served = 0
        # Imported here, after warm_up: it imports pytest and torch, and a failure
        # to import those must reach the engine as words (main), not as an exit code.
        from torchlings.engine.worker.prefork import PreparedCheck

        self.prepared = PreparedCheck()

    def start(self, request: dict[str, Any], fds: list[int], keep: list[int]) -> None:
        if request.get("type") != "check" or not 1 <= len(fds) <= 2:
            for fd in fds:
                os.close(fd)
            protocol.send(self.sock, {"type": "error", "id": request.get("id"),
                                      "message": "malformed request"})
            return
        output_fd, series_fd = fds[0], (fds[1] if len(fds) > 1 else None)
        me = os.getpid()
        session = self._prepared_session(request)
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            protocol.send(self.sock, {"type": "error", "id": request["id"],
                                      "message": str(exc)})
            return
        if pid == 0:
            childstart.run_child(request, output_fd, series_fd, keep, parent=me, prepared=session)
        for fd in fds:
            os.close(fd)
        try:
            # Also set here, so the group exists before the engine may kill it.
            os.setpgid(pid, pid)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.ESRCH, errno.EPERM):
                raise
        self.running[pid] = (request["id"], str(request.get("scratch", "")))
        self.served += 1
        protocol.send(self.sock, {"type": "started", "id": request["id"], "pid": pid})

    def _prepared_session(self, request: dict[str, Any]) -> Any:
        """pytest set up for this request's check (prefork), or None: the child sets it up."""
        if request.get("sealed") is not None:
            return None  # a grade's check comes from sealed bytes, never from the file here
        try:
            return self.prepared.session_for(str(request.get("check", "")))
        except Exception:  # noqa: BLE001 - never the worker's end: the child prepares it instead
            with contextlib.suppress(Exception):
                self.prepared.drop()
            return None

    def reap(self) -> None:
        while (pid := reaper.exited_child()) is not None:
            known = self.running.pop(pid, None)
            if known is not None:
                # What the check left behind: its group, and whatever escaped
                # the group (setsid) and was adopted by us when its parent
                # ended. Before reaping it: until then its number is ours.
                reaper.kill_group(pid)
                reaper.kill_orphans(keep={pid, *self.running})
            status, cpu = reaper.reap(pid)
            if known is None:
                continue  # an orphan of a check, adopted (we are a subreaper) and now reaped
            protocol.send(self.sock, {"type": "exited", "id": known[0],
                                      "returncode": os.waitstatus_to_exitcode(status),
                                      "cpu": cpu})

    def end(self, request_id: object) -> None:
        """The engine gave up on a check (its clock ran out): end it, we still hold it."""
        for pid, (running_id, _scratch) in self.running.items():
            if running_id == request_id:
                reaper.kill_check(pid)

    def end_all(self) -> None:
        """The runner is gone: end every check and everything they started, tidy up."""
        for pid, (_id, scratch) in list(self.running.items()):
            reaper.kill_check(pid)
            if os.path.basename(scratch).startswith("torchlings-check-"):
                shutil.rmtree(scratch, ignore_errors=True)
        reaper.kill_orphans(keep=set())


def serve(sock: socket.socket) -> None:
    reader = protocol.Reader(sock)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    # SIGCHLD only writes a byte to wake_w; the loop below does the reaping.
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    # The engine handles Ctrl-C; a stray SIGINT must not stop the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    checks = Checks(sock)
    more_to_import = True
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ, "sock")
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    try:
        while True:
            quiet = more_to_import and (not checks.running or checks.served >= 2)
            # A run of many checks (verify, a grade) has no quiet moment: once the
            # first verdicts are out, importing now costs one second once instead
            # of one second in every child that builds an optimizer meanwhile.
            batch = more_to_import and checks.served >= BATCH_SERVED
            events = [] if batch else \
                selector.select(IDLE_SECONDS if quiet else PARENT_CHECK_SECONDS)
            if not events and (quiet or batch):
                # Imported while no pytest is configured here: discarding a
                # session restores the warning filters it started with.
                checks.prepared.drop()
                warm_up_more()
                more_to_import = False
            if os.getppid() != parent:
                return  # the runner died without closing the socket (it cannot, but still)
            for key, _ in events:
                if key.data == "wake":
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                    continue
                try:
                    messages = reader.read_available()
                except EOFError:
                    return  # the engine is gone: so are we, and so is everything we started
                # A child must hold no descriptor but its own pipes: another
                # check's pipe held open would delay that check's end of output.
                held = [fd for _, fds in messages for fd in fds]
                own = [sock.fileno(), wake_r, wake_w]
                if hasattr(selector, "fileno"):  # epoll and kqueue hold one
                    own.append(selector.fileno())
                for message, fds in messages:
                    if message.get("type") == "end":
                        checks.end(message.get("id"))
                        continue
                    others = [fd for fd in held if fd not in fds]
                    checks.start(message, fds, own + others + reader.held_fds())
                    held = others
            checks.reap()
    finally:
        checks.end_all()


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[0]))
    sock.setblocking(True)
    # Orphans of learner code (setsid + fork) become our children, within reach.
    reaper.become_subreaper()
    try:
        warm_up()
    except BaseException:  # noqa: BLE001 - tell the engine why, then leave
        protocol.send(sock, {"type": "failed", "message": traceback.format_exc()})
        return
    # Everything imported so far lives as long as the worker: keep the
    # collector away from it, in the worker and in every child. Otherwise a
    # child's first full collection walks all of torch's objects and touches
    # (copies) every page they sit on.
    gc.collect()
    gc.freeze()
    protocol.send(sock, {"type": "ready", "pid": os.getpid(), "threads": thread_count()})
    serve(sock)


if __name__ == "__main__":
    main(sys.argv[1:])

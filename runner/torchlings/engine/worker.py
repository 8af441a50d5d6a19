"""The warm worker: `python -m torchlings.engine.worker FD`.

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
kills the child's process group, so nothing learner code does can block them.
The worker leaves when the engine's end of the socket closes.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import selectors
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

from torchlings.engine import protocol


def thread_count() -> int:
    """Threads in this process, where the platform can tell (0 when it cannot)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def warm_up() -> None:
    """Import everything a check needs, without doing any of a check's work."""
    from torchlings.engine import sandbox

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

    # The first optimizer a process builds imports torch._dynamo (and sympy
    # with it): 800 modules, one to several seconds. So does the first op on
    # the meta device. Importing it here starts no threads and takes that cost
    # out of every check that trains something.
    import torch._dynamo  # noqa: F401
    import torch.distributions  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401

    from torchlings import testing  # noqa: F401
    from torchlings.engine import outcome, plugin, runcheck  # noqa: F401


def run_child(request: dict[str, Any], output_fd: int, keep: list[int]) -> None:
    """In the forked child: become the check process, run the check, leave."""
    code = 70
    try:
        os.setpgid(0, 0)  # its own group, so the engine can kill all it starts
        for fd in keep:  # the worker's socket, and other checks' output pipes
            with contextlib.suppress(OSError):
                os.close(fd)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        os.chdir(request["cwd"])
        # What a fresh `python -m` in that folder would have as sys.path[0].
        sys.path[0] = request["cwd"]

        from torchlings.engine import sandbox
        from torchlings.engine.outcome import write_result
        from torchlings.engine.runcheck import run_check

        sandbox.prepare_process()
        sandbox.apply_limits(request["memory"])
        sandbox.reset_torch_state()
        result = run_check(request["check"], request["exercise"])
        write_result(Path(request["result"]), result)
        code = 0
    except BaseException:  # noqa: BLE001 - report anything and leave the same way
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            # Never return into the worker's loop, and never run atexit
            # handlers or wait for threads the learner's code started.
            os._exit(code)


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

    running: dict[int, str] = {}  # child pid -> request id
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ, "sock")
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    while True:
        for key, _ in selector.select():
            if key.data == "wake":
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            else:
                try:
                    messages = reader.read_available()
                except EOFError:
                    return  # the engine is gone: so are we
                # A child must hold no descriptor but its own pipe: another
                # check's pipe held open would delay that check's end of output.
                held = [fd for _, fds in messages for fd in fds]
                own = [sock.fileno(), wake_r, wake_w]
                if hasattr(selector, "fileno"):  # epoll and kqueue hold one
                    own.append(selector.fileno())
                for message, fds in messages:
                    others = [fd for fd in held if fd not in fds]
                    start_child(sock, message, fds, running, own + others + reader.held_fds())
                    held = others
        reap(sock, running)


def start_child(sock: socket.socket, request: dict[str, Any], fds: list[int],
                running: dict[int, str], keep: list[int]) -> None:
    if request.get("type") != "check" or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        protocol.send(sock, {"type": "error", "id": request.get("id"),
                             "message": "malformed request"})
        return
    output_fd = fds[0]
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(output_fd)
        protocol.send(sock, {"type": "error", "id": request["id"], "message": str(exc)})
        return
    if pid == 0:
        run_child(request, output_fd, keep)
    os.close(output_fd)
    try:
        # Also set here, so the group exists before the engine may kill it.
        os.setpgid(pid, pid)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.ESRCH, errno.EPERM):
            raise
    running[pid] = request["id"]
    protocol.send(sock, {"type": "started", "id": request["id"], "pid": pid})


def reap(sock: socket.socket, running: dict[int, str]) -> None:
    while running:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            running.clear()
            return
        if pid == 0:
            return
        request_id = running.pop(pid, None)
        if request_id is not None:
            protocol.send(sock, {"type": "exited", "id": request_id,
                                 "returncode": os.waitstatus_to_exitcode(status),
                                 "cpu": usage.ru_utime + usage.ru_stime})


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[0]))
    sock.setblocking(True)
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

"""The one start-up of a check process, shared by both engines.

A check process is always a forked child: of the warm worker (which has torch
imported already) or of the one-shot supervisor (`torchlings.engine.worker.supervisor`,
which has not). Either way it comes here, with the request the engine made:

    {"check", "exercise", "result", "cwd", "memory", "file_limit", "timeout",
     "nonce", "scratch"}

It puts itself in its own process group, dies with the process that forked
it, applies its limits (memory, file size), resets torch's global state,
starts its own clock (the exercise's timeout, kept by the kernel), runs the
check, and writes the result with the nonce the engine gave it. A result
without the right nonce is not believed, so learner code that writes a result
file and leaves is not taken for a pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from torchlings.engine.child.check_session import CheckSession

# Imported with this module (in the warm worker, before any fork): the
# witness's code is in memory before a check process runs learner code.
from torchlings.engine.child import guard
from torchlings.engine.jobs import unseal

# Exit status of a check process that wrote its result: anything else means
# it did not end the runner's way.
EXIT_REPORTED = 0
EXIT_FAULT = 70


def series_writer(fd: int) -> Callable[[str, float], None]:
    """A `testing._point_listener` that sends each point to the engine as a JSON line."""
    os.set_blocking(fd, False)

    def send(name: str, value: float) -> None:
        line = json.dumps([str(name)[:200], value]).encode("utf-8") + b"\n"
        # A line under PIPE_BUF is written whole or not at all; when the
        # engine reads too slowly the point is dropped (the result still has
        # the whole series), never blocking the check.
        with contextlib.suppress(OSError):
            os.write(fd, line)

    return send


def run_child(request: dict[str, Any], output_fd: int, series_fd: int | None,
              close_fds: list[int], parent: int, prepared: CheckSession | None = None) -> NoReturn:
    """In the forked child: become the check process, run the check, leave.

    `prepared`: the check's pytest session, when the process that forked
    this one set it up already (the warm worker); else this process does.
    """
    code = EXIT_FAULT
    try:
        os.setpgid(0, 0)  # its own group, so the engine can kill all it starts
        from torchlings.engine import reaper

        reaper.die_with_parent(parent)
        for fd in close_fds:  # the worker's socket, and other checks' pipes
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        if output_fd not in (1, 2):
            os.dup2(output_fd, 1)
            os.dup2(output_fd, 2)
            os.close(output_fd)
        os.chdir(request["cwd"])
        # What a fresh `python -m` in that folder would have as sys.path[0].
        sys.path[0] = request["cwd"]
        nonce = str(request.pop("nonce", ""))
        sealed = request.pop("sealed", None)  # under a grade: sources and the witness's key

        from torchlings.engine.child import sandbox

        sandbox.prepare_process()
        sandbox.use_private_tmp(Path(request["scratch"]) / "tmp", keep_compile_cache=sealed is None)
        sandbox.apply_limits(request["memory"], file_bytes=request.get("file_limit"))
        from torchlings.checkapi import testing
        from torchlings.engine.child.run_check import run_check
        from torchlings.engine.result_file import write_result

        if series_fd is not None:
            testing._point_listener = series_writer(series_fd)
        sandbox.reset_torch_state()
        sources = None
        if sealed is not None:
            sources = unseal(sealed)
            guard.install(key=sealed.pop("key"), fd=1, exercise=request["exercise"],
                          scratch=request["scratch"], result_file=request["result"],
                          forbidden=sealed.get("forbidden", ()),
                          verdict_code=run_child.__code__, verdict_globals=globals())
            del sealed
        # The exercise's time limit counts from here: not the time it took
        # to start this process or import torch, which the learner cannot help.
        sandbox.start_deadline(request["timeout"])
        result = run_check(request["check"], request["exercise"],
                           basetemp=Path(request["scratch"]) / "pytest-tmp", sources=sources,
                           prepared=prepared if sources is None else None)
        write_result(Path(request["result"]), result, nonce)
        if sources is not None:
            sys.audit("torchlings.verdict")  # the witness certifies what was written
        code = EXIT_REPORTED
    except BaseException as exc:  # noqa: BLE001 - report anything and leave the same way
        from torchlings.engine.child.sandbox import CheckDeadline
        from torchlings.engine.problems import exit_status_for

        code = exit_status_for(exc, code)  # no result for want of files or disk: say which

        if isinstance(exc, CheckDeadline):
            # The deadline came between the tests and the result: end the way
            # the alarm ends a check, so the runner reports the timeout.
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGALRM)
        with contextlib.suppress(BaseException):
            traceback.print_exc(limit=20)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            # Never return into the caller's loop, and never run atexit
            # handlers or wait for threads the learner's code started.
            os._exit(code)

"""The one-shot supervisor: `python -m torchlings.engine.worker.supervisor`, request JSON on stdin.

The subprocess engine starts this for each check. It imports nothing heavy,
forks the check process (which goes through the same `childstart` as a child
of the warm worker, and imports torch itself), waits for it, ends whatever it
left behind, and leaves the way the check process left: the same exit status,
or the same signal. It is a child subreaper, so learner code that escapes its
process group (setsid + fork) stays below it; and it follows the runner: when
the runner's thread that started it ends, it ends the check and tidies up.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
from typing import Any

from torchlings.engine import reaper
from torchlings.engine.child import start as childstart


def run_here(request: dict[str, Any]) -> None:
    """Where there is no fork (Windows): the check runs in this process, with what limits exist."""
    from pathlib import Path

    from torchlings.engine.child import sandbox
    from torchlings.engine.child.run_check import run_check
    from torchlings.engine.result_file import write_result

    sandbox.prepare_process()
    sandbox.use_private_tmp(Path(request["scratch"]) / "tmp")
    sandbox.apply_limits(request["memory"], file_bytes=request.get("file_limit"))
    sandbox.reset_torch_state()
    nonce = str(request.pop("nonce", ""))
    result = run_check(request["check"], request["exercise"],
                           basetemp=Path(request["scratch"]) / "pytest-tmp")
    write_result(Path(request["result"]), result, nonce)
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    request: dict[str, Any] = json.loads(sys.stdin.buffer.read())
    if not hasattr(os, "fork"):
        run_here(request)
    reaper.become_subreaper()
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # it re-raises the child's signal
    check_pid: list[int] = []  # while it holds one, the check is not reaped: safe to kill

    def end_everything(*_: object) -> None:
        for pid in check_pid:
            reaper.kill_check(pid)
        reaper.kill_orphans(keep=set())
        shutil.rmtree(request["scratch"], ignore_errors=True)
        os._exit(1)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, end_everything)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner handles Ctrl-C
    reaper.die_with_parent(request.pop("parent", None), signal.SIGTERM)
    series_fd = request.pop("series_fd", None)
    me = os.getpid()
    pid = os.fork()
    if pid == 0:
        childstart.run_child(request, 1, series_fd, close_fds=[], parent=me)
    check_pid.append(pid)
    reaper.wait_exited(pid)  # ended, not reaped: its group and number are still ours
    stop_signals = {signal.SIGTERM, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # no end_everything mid-reap
    reaper.kill_group(pid)
    reaper.kill_orphans(keep={pid})
    status, _cpu = reaper.reap(pid)
    check_pid.clear()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # leave by the same signal, so the engine reads the same story
        signal.signal(-code, signal.SIG_DFL)
        os.kill(me, -code)
    os._exit(code)


if __name__ == "__main__":
    main()

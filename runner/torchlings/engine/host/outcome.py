"""Turning a finished check process into a CheckResult.

Shared by every engine, so a check judged by a fresh subprocess and one judged
by a forked child of the warm worker end in identical results.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import IO

from torchlings.engine import limits
from torchlings.engine.problems import (
    EXIT_DISK_FULL,
    EXIT_TOO_MANY_FILES,
    problem_result,
    ran_out_of_time,
)
from torchlings.engine.protocol import GUARD_MARK
from torchlings.engine.result import CheckResult, Status
from torchlings.engine.result_file import read_result
from torchlings.engine.visible import make_visible

OUTPUT_LIMIT = 64 * 1024  # bytes of a check's own output that are kept


class OutputSink:
    """Drains a pipe on a thread, keeping the first OUTPUT_LIMIT bytes.

    Reading everything (and throwing the excess away) matters: a child that
    prints 100 MB must never block on a full pipe and look like a hang.
    """

    def __init__(self, stream: IO[bytes], limit: int = OUTPUT_LIMIT) -> None:
        self._stream = stream
        self._limit = limit
        self._kept = bytearray()
        self.dropped = 0
        # The grade's witness lines are kept wherever they come, even past the limit.
        self._witness = WitnessLines()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self._stream.read1(65536):  # type: ignore[attr-defined]
                self._witness.feed(chunk)
                room = self._limit - len(self._kept)
                if room > 0:
                    self._kept += chunk[:room]
                self.dropped += max(0, len(chunk) - max(room, 0))
        except (OSError, ValueError):
            pass
        finally:
            # Closed here, by the only reader, once the writers are gone: a
            # caller closing it while this thread still reads could block.
            try:
                self._stream.close()
            except (OSError, ValueError):
                pass

    def text(self, timeout: float = 2.0) -> tuple[str, int]:
        self._thread.join(timeout)
        text = self._kept.decode("utf-8", errors="replace")
        if self._witness.lines:  # after the output, where the runner finds them all
            mark = GUARD_MARK.decode("ascii")
            text = "\n".join(line for line in text.split("\n") if not line.startswith(mark))
            text += "\n" + "\n".join(self._witness.lines) + "\n"
        return text, self.dropped


class WitnessLines:
    """Picks the lines that start with GUARD_MARK out of a stream, chunk by chunk."""

    LONGEST = 8192  # a witness line is far shorter; a longer partial line is not one

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = b""

    def feed(self, chunk: bytes) -> None:
        data = self._partial + chunk
        pieces = data.split(b"\n")
        tail = pieces.pop()
        self._partial = tail if len(tail) <= self.LONGEST else b"\0"
        for piece in pieces:
            if piece.startswith(GUARD_MARK) and len(self.lines) < 4096:
                self.lines.append(piece.decode("ascii", "replace"))


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_SIGNAL_MEANING = {
    "SIGSEGV": "a segmentation fault: native code read memory it does not own",
    "SIGABRT": "an abort: native code (often a failed assertion in C++) gave up",
    "SIGBUS": "a bus error: native code touched memory that is not there",
    "SIGFPE": "an arithmetic fault in native code",
    "SIGILL": "an illegal instruction in native code",
    "SIGKILL": "it was killed from outside, often by the system when memory ran out",
    "SIGTERM": "it was asked to stop from outside (os.kill, or the system shutting down)",
}


def finished(
    *,
    result_file: Path,
    nonce: str,
    returncode: int | None,
    output: str,
    dropped: int,
    timed_out: bool,
    timeout: float,
    allowance: float,
    seconds: float,
) -> CheckResult:
    """Build the result of a check process from what it left behind.

    `timeout` is the limit the check process kept itself (from the start of
    the check); `allowance` what the runner added for its start-up.

    A result counts only when the process ended the runner's way: exit status
    0 and a result file carrying the nonce this check was given.
    """
    result = read_result(result_file, nonce) if not timed_out and returncode == 0 else None
    name = signal_name(-returncode) if returncode is not None and returncode < 0 else ""
    if name == "SIGALRM":  # the check process's own clock: the exercise's timeout
        result = ran_out_of_time(f"The check did not finish within {timeout:g} s and was stopped.")
    elif name == "SIGXCPU":
        allowed = limits.cpu_seconds_allowed(timeout)
        result = ran_out_of_time(f"The check used more than {allowed:g} s of "
                                 "processor time and was stopped.")
    elif timed_out:  # the runner's backstop: the process never kept its own time
        result = ran_out_of_time(f"The check did not finish within {timeout + allowance:g} s "
                                 f"({timeout:g} s for the check plus {allowance:g} s to start "
                                 "up) and was stopped.")
    elif name == "SIGXFSZ":
        result = problem_result(Status.CRASHED, "FileTooLarge", limits.file_too_large_message())
    elif result is None:
        if name:
            meaning = _SIGNAL_MEANING.get(name, "the process was stopped by a signal")
            result = problem_result(
                Status.CRASHED,
                name,
                summary=f"The check process crashed with {name}",
                message=f"The check process crashed with {name}: {meaning}. Nothing in Python stops "
                "this; look at the last thing your code did before it (ctypes, an unsafe "
                "tensor operation, os.kill).",
            )
        elif returncode in _UNWRITTEN:
            result = problem_result(Status.ERROR, "ResultNotWritten", _UNWRITTEN[returncode])
        elif returncode == 0:
            result = problem_result(
                Status.CRASHED,
                "exit",
                summary="The check process ended before reporting a result",
                message="The check process ended before reporting a result: something in your code "
                "ended the process (os._exit or similar) while the check ran. That never "
                "counts as passing; take the exit out.",
            )
        else:
            result = problem_result(
                Status.CRASHED,
                "exit",
                f"The check process ended with exit code {returncode} before reporting a "
                "result. Something in your code ended the process (os._exit, sys.exit in a "
                "thread); take that out.",
            )
    result.output = output
    result.output_truncated_bytes = dropped
    if timed_out or not result.seconds:
        result.seconds = seconds
    visible_result: CheckResult = make_visible(result)
    return visible_result


_UNWRITTEN = {
    EXIT_TOO_MANY_FILES: (
        "The check ran, but its result could not be written: too many open files. Your "
        "code opened files (or sockets) and never closed them, until none were left. Open "
        "files with `with open(...) as f:` so they close, and check again."),
    EXIT_DISK_FULL: (
        "The check ran, but its result could not be written: the disk is full. Free some "
        "space (or delete what your code wrote) and check again."),
}

"""What a check process does to itself before it runs learner code.

Limits that protect the machine (a memory ceiling) and a reset of the global
state a previous check could have left (in a forked child: whatever the
parent process held). Only called in a process that exists to run one check.
"""

from __future__ import annotations

import errno
import math
import os
import random
import re
import signal
import sys
from pathlib import Path

DEFAULT_MEMORY_LIMIT = 4 * 1024**3
# The largest file a check may write: far more than any exercise needs, far
# less than a full disk.
DEFAULT_FILE_LIMIT = 256 * 1024**2


def file_limit_bytes() -> int:
    override = os.environ.get("TORCHLINGS_FILE_LIMIT")
    return int(override) if override else DEFAULT_FILE_LIMIT


def file_too_large_message(limit: int | None = None) -> str:
    limit = limit if limit is not None else applied_file_limit or file_limit_bytes()
    return (
        f"Your code wrote a file larger than {limit / 1024**2:.0f} MB, the most one check may "
        "write, and was stopped. Look for a loop that keeps writing (or saving a tensor) "
        "without end, or write less."
    )


def memory_limit_bytes() -> int:
    """The address-space ceiling for one check: 4 GiB, or less on a small machine."""
    override = os.environ.get("TORCHLINGS_MEMORY_LIMIT")
    if override:
        return int(override)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return DEFAULT_MEMORY_LIMIT
    return min(DEFAULT_MEMORY_LIMIT, total // 2)


# The ceilings this process runs under, once apply_limits set them.
applied_memory_limit: int | None = None
applied_file_limit: int | None = None

_OUT_OF_MEMORY_TEXT = ("can't allocate memory", "not enough memory", "out of memory",
                       "cannot allocate memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, or torch's RuntimeError for an allocation that failed."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, NotImplementedError):  # a RuntimeError too, but a TODO
        return False
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and any(t in text for t in _OUT_OF_MEMORY_TEXT)


def out_of_memory_message(exc: BaseException) -> str:
    if applied_memory_limit is not None:
        gib = applied_memory_limit / 1024**3
        what = f"Your code ran out of the {gib:.3g} GiB allowed for one check"
    else:
        what = "Your code ran out of memory"
    asked = re.search(r"allocate (\d+) bytes", str(exc))
    if asked:
        what += f" (one allocation asked for {int(asked.group(1)) / 1024**3:.3g} GiB)"
    return (
        f"{what}. Look for a tensor far bigger than the exercise needs: the sizes passed "
        "to torch.zeros/ones/randn/empty, a shape that broadcasts into something huge "
        "(an (N, 1) with an (N,) makes N x N), or a list that keeps every step's tensors."
    )


def apply_limits(memory_bytes: int, *, file_bytes: int | None = None) -> None:
    """Ceilings on memory and file size (time: `start_deadline`)."""
    global applied_memory_limit, applied_file_limit
    try:
        import resource  # POSIX only; on Windows a check runs without a ceiling
    except ImportError:
        return
    file_bytes = file_limit_bytes() if file_bytes is None else file_bytes
    try:
        # Past it a write fails with EFBIG (OSError "File too large") instead
        # of the default SIGXFSZ kill, so the check can say what happened.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        applied_file_limit = file_bytes
    except (ValueError, OSError, AttributeError):
        pass

    # RLIMIT_AS turns a runaway allocation into a MemoryError / RuntimeError
    # inside the check instead of the kernel's OOM killer freezing the desktop.
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            memory_bytes = min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))
        applied_memory_limit = memory_bytes
    except (ValueError, OSError):
        pass
    # No core files from a learner's segfault.
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


# Once the deadline has raised CheckDeadline, the time the process has to
# report it (pytest's teardown, writing the result) before the alarm kills it.
REPORT_GRACE = 2.0
# Processor time allowed beyond that, so the CPU limit (for a process whose
# alarm learner code turned off) comes after the alarm's own two lines.
CPU_MARGIN = 1.0


def cpu_seconds_allowed(seconds: float) -> float:
    """The processor time a check with `seconds` of wall-clock time may use."""
    return seconds + REPORT_GRACE + CPU_MARGIN


# The check's time limit, once its deadline has passed in this process.
deadline_passed: float | None = None


class CheckDeadline(BaseException):
    """The check's time is up: raised inside whatever Python code was running.

    A BaseException, like KeyboardInterrupt, so that `except Exception` in
    learner code lets it through, and its traceback names the learner's line.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the check's {seconds:g} s were up")
        self.seconds = seconds


def start_deadline(seconds: float) -> None:
    """From now on this process has `seconds` to live: the check's own time limit.

    Three lines, each for what the one before cannot stop:
    - at the deadline the alarm raises CheckDeadline in the Python code that
      is running, so the report can point at the learner's line;
    - REPORT_GRACE later the alarm kills outright (SIG_DFL), for code that
      swallowed the exception (`except BaseException`, a bare `except:`);
    - the CPU limit ends a process stuck in native code, where no Python
      handler runs, or whose alarm learner code turned off.
    All are kept by the kernel: they end the process even when every process
    above it is gone.
    """
    if hasattr(signal, "setitimer"):
        def deadline_reached(signum: int, frame: object) -> None:
            global deadline_passed
            deadline_passed = seconds
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_REAL, REPORT_GRACE)
            raise CheckDeadline(seconds)

        signal.signal(signal.SIGALRM, deadline_reached)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.1))
    try:
        import resource

        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = math.ceil(used.ru_utime + used.ru_stime + cpu_seconds_allowed(seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    except (ImportError, ValueError, OSError):
        pass


def deadline_kills_outright() -> None:
    """After the tests: the deadline, if it comes now, ends the process without a word.

    The clock keeps running; only the exception is off, because past this
    point there is no learner line to find and nothing left to catch it.
    """
    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def is_file_too_large(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.EFBIG


def prepare_process() -> None:
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # Checks run with exactly the plugins we load, whatever else is installed.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"


# Variables that tell a program which terminal multiplexer (or window) it runs
# in. A check that sees them can open windows there (`tmux new-window`) that
# outlive it; without them, and with the multiplexers' socket folders pointed
# at the check's own temporary folder, such a command finds no server.
TERMINAL_SESSION_VARIABLES = ("TMUX", "TMUX_PANE", "STY", "WINDOW", "WINDOWID",
                              "ZELLIJ", "ZELLIJ_SESSION_NAME", "ZELLIJ_PANE_ID",
                              "KITTY_LISTEN_ON", "KITTY_WINDOW_ID",
                              "WEZTERM_UNIX_SOCKET", "WEZTERM_PANE")


def use_private_tmp(folder: Path) -> None:
    """Give the check a temporary folder of its own (inside its scratch folder,
    removed with it), and no handle on the terminal session it runs under."""
    import tempfile

    folder.mkdir(mode=0o700, exist_ok=True)
    for name in ("TMPDIR", "TEMP", "TMP", "TMUX_TMPDIR", "SCREENDIR"):
        os.environ[name] = str(folder)
    for name in TERMINAL_SESSION_VARIABLES:
        os.environ.pop(name, None)
    tempfile.tempdir = None  # the worker may have asked already: ask again


def reset_torch_state(seed: int = 0) -> None:
    """Put torch's global switches back to their defaults and seed every RNG."""
    import numpy as np
    import torch

    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    if hasattr(torch, "set_default_device"):
        torch.set_default_device(None)
    # Only when switched on: use_deterministic_algorithms imports a large part
    # of torch (seconds), and a fresh process or a fork of the worker (which
    # never runs learner code) always starts with both off.
    if torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(False)
    if torch.is_anomaly_enabled():
        torch.autograd.set_detect_anomaly(False)
    # One intra-op thread per check: checks are tiny, two may run at once on a
    # small machine, and oversubscribed threads made a 100-step loop 30x slower.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)

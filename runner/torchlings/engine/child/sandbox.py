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

from torchlings.engine import limits
from torchlings.engine.limits import REPORT_GRACE as REPORT_GRACE
from torchlings.engine.limits import CheckDeadline as CheckDeadline
from torchlings.engine.limits import cpu_seconds_allowed as cpu_seconds_allowed
from torchlings.engine.limits import file_limit_bytes as file_limit_bytes
from torchlings.engine.limits import memory_limit_bytes as memory_limit_bytes


def file_too_large_message(limit: int | None = None) -> str:
    """What to say when a write hit the file ceiling this process runs under."""
    return limits.file_too_large_message(limit if limit is not None else applied_file_limit)


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


# The check's time limit, once its deadline has passed in this process.
deadline_passed: float | None = None


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


def use_private_tmp(folder: Path, *, keep_compile_cache: bool = True) -> None:
    """Give the check a temporary folder of its own (inside its scratch folder,
    removed with it), and no handle on the terminal session it runs under.

    torch.compile keeps the C++ it builds in a cache under the temporary
    folder; in the check's own folder that cache would go with every check,
    and each save of a compile exercise would build it all again (seconds to
    a minute). So, unless the learner chose a place for it, the cache stays
    where torch puts it outside a check. A grade keeps it private
    (`keep_compile_cache=False`): one learner's cache must not feed another's.
    """
    import tempfile

    if keep_compile_cache:
        os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", torch_compile_cache())
    else:
        # Set outright: importing torch._dynamo (the warm worker does) already
        # wrote torch's usual place into the environment.
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder / "torchinductor")
        # The precompiled header's folder is fixed when codecache is imported
        # (the warm worker has): it moves into the private folder too.
        codecache = sys.modules.get("torch._inductor.codecache")
        if codecache is not None and hasattr(codecache, "_HEADER_DIR"):
            headers = folder / "torchinductor" / "precompiled_headers"
            setattr(codecache, "_HEADER_DIR", str(headers))  # noqa: B010 - torch's private name
            setattr(codecache, "_HEADER_LOCK_DIR", str(headers / "locks"))  # noqa: B010
    folder.mkdir(mode=0o700, exist_ok=True)
    for name in ("TMPDIR", "TEMP", "TMP", "TMUX_TMPDIR", "SCREENDIR"):
        os.environ[name] = str(folder)
    for name in TERMINAL_SESSION_VARIABLES:
        os.environ.pop(name, None)
    tempfile.tempdir = None  # the worker may have asked already: ask again


def torch_compile_cache() -> str:
    """Where torch.compile's inductor keeps its cache when nothing says otherwise
    (the same rule as torch._inductor's default_cache_dir)."""
    import getpass
    import tempfile

    try:
        user = getpass.getuser()
    except (KeyError, ModuleNotFoundError, OSError):
        user = f"uid_{os.getuid()}" if hasattr(os, "getuid") else "unknown_user"
    return os.path.join(tempfile.gettempdir(), "torchinductor_" + re.sub(r'[\\/:*?"<>|]', "_", user))


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

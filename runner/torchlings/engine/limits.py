"""The ceilings one check runs under, known to both sides of the process boundary.

The runner (engine/host) reads them to write the request and to explain a
process that hit one; the check process (engine/child/sandbox) applies them.
Kept here, at the engine's top, so that neither side imports the other.
"""

from __future__ import annotations

import os

DEFAULT_MEMORY_LIMIT = 4 * 1024**3
# The largest file a check may write: far more than any exercise needs, far
# less than a full disk.
DEFAULT_FILE_LIMIT = 256 * 1024**2

# Once the deadline has raised CheckDeadline, the time the process has to
# report it (pytest's teardown, writing the result) before the alarm kills it.
REPORT_GRACE = 2.0
# Processor time allowed beyond that, so the CPU limit (for a process whose
# alarm learner code turned off) comes after the alarm's own two lines.
CPU_MARGIN = 1.0


def file_limit_bytes() -> int:
    override = os.environ.get("TORCHLINGS_FILE_LIMIT")
    return int(override) if override else DEFAULT_FILE_LIMIT


def file_too_large_message(limit: int | None = None) -> str:
    limit = limit if limit is not None else file_limit_bytes()
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


def cpu_seconds_allowed(seconds: float) -> float:
    """The processor time a check with `seconds` of wall-clock time may use."""
    return seconds + REPORT_GRACE + CPU_MARGIN


class CheckDeadline(BaseException):
    """The check's time is up: raised inside whatever Python code was running.

    A BaseException, like KeyboardInterrupt, so that `except Exception` in
    learner code lets it through, and its traceback names the learner's line.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the check's {seconds:g} s were up")
        self.seconds = seconds

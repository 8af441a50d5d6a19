"""Helpers for the engine's tests."""

from __future__ import annotations

from pathlib import Path

from torchlings.engine import CheckJob, CheckResult

LEARNERS = Path(__file__).parent / "learners"
TINY_CHECK = LEARNERS / "check_tiny.py"


def tiny_job(exercise: Path, timeout: float = 10.0) -> CheckJob:
    return CheckJob(TINY_CHECK, exercise, timeout)


def comparable(result: CheckResult) -> dict:
    """A result without what legitimately differs between two runs: timings."""
    data = result.to_dict()
    data.pop("seconds")
    for test in [*data["tests"], data["problem"]]:
        if test is not None:
            test.pop("seconds")
    return data

"""Running checks. Callers use only what is exported here.

    engine = make_engine()
    result = engine.check(CheckJob(check_file, exercise_file, timeout))
    results = check_many(engine, jobs, on_result=callback)
    engine.close()

`check` blocks until the verdict is in and never raises for anything the
learner's code does: hangs, crashes and floods all come back as a CheckResult.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from torchlings.engine.jobs import DEFAULT_TIMEOUT, CheckJob
from torchlings.engine.result import CheckResult, SourceLine, Status, TestOutcome

__all__ = [
    "DEFAULT_TIMEOUT",
    "CheckJob",
    "CheckResult",
    "Engine",
    "SourceLine",
    "Status",
    "TestOutcome",
    "check_many",
    "make_engine",
]


class Engine(Protocol):
    name: str

    def start(self) -> None:
        """Begin warming up in the background; returns at once."""

    def is_ready(self) -> bool:
        """True when a check would start without waiting for torch to import."""

    def check(self, job: CheckJob) -> CheckResult: ...

    def close(self) -> None:
        """Stop: checks still running are killed, and their `check` calls return at once."""


def make_engine(warm: bool = True) -> Engine:
    """The fastest engine this platform supports (or the plain one if asked).

    TORCHLINGS_NO_WARM=1 in the environment has the same effect as warm=False.
    """
    from torchlings.engine.subprocess_engine import SubprocessEngine
    from torchlings.engine.warm_engine import WarmEngine, warm_supported

    if warm and warm_supported() and not os.environ.get("TORCHLINGS_NO_WARM"):
        return WarmEngine()
    return SubprocessEngine()


def check_many(
    engine: Engine,
    jobs: Sequence[CheckJob],
    *,
    workers: int = 2,
    on_result: Callable[[int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check several jobs, `workers` at a time; results come back in job order.

    `on_result(index, result)` is called as each one finishes (from a worker
    thread), for progress displays. On KeyboardInterrupt the checks not yet
    started are dropped and the interrupt propagates at once; the callers have
    already recorded every result that came in before it.
    """
    results: list[CheckResult | None] = [None] * len(jobs)

    def one(index: int) -> None:
        result = engine.check(jobs[index])
        results[index] = result
        if on_result is not None:
            on_result(index, result)

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for future in [pool.submit(one, i) for i in range(len(jobs))]:
            future.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [r for r in results if r is not None]

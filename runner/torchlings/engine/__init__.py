"""Running checks. Callers use only what is exported here.

    engine = make_engine()                  # make_engine(one_shot=True) for one check
    engine.start(); engine.wait_ready(5.0)  # optional: warm up, then wait for it
    result = engine.check(CheckJob(check_file, exercise_file, timeout), on_series=plot)
    results = check_many(engine, jobs, on_result=callback)
    result = check_one(engine, job)         # what the CLI and the app call: never raises
    engine.close()

`check` blocks until the verdict is in and never raises for anything the
learner's code does: hangs, crashes and floods all come back as a CheckResult.
`on_series(series_so_far)`, when given, is called from the engine's own thread
(at most about ten times a second) with every `testing.record_point` series
the check has recorded so far.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from torchlings.engine.jobs import DEFAULT_TIMEOUT, CheckJob, Sealed, SeriesCallback
from torchlings.engine.problems import runner_fault
from torchlings.engine.regular_file import MAX_READ, NotARegularFile, open_regular, read_bounded
from torchlings.engine.result import CheckResult, SourceLine, Status, TestOutcome
from torchlings.engine.visible import visible

__all__ = [
    "MAX_READ",
    "NotARegularFile",
    "open_regular",
    "read_bounded",
    "DEFAULT_TIMEOUT",
    "CheckJob",
    "CheckResult",
    "Engine",
    "SeriesCallback",
    "Sealed",
    "SourceLine",
    "Status",
    "TestOutcome",
    "check_many",
    "check_one",
    "make_engine",
    "runner_fault",
    "visible",
]


class Engine(Protocol):
    name: str
    # Why the warm worker could not start (the checks then run cold), or None.
    startup_error: str | None

    def start(self) -> None:
        """Begin warming up in the background; returns at once."""

    def is_ready(self) -> bool:
        """True when a check would start without waiting for torch to import."""

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until checks can start without a warm-up to wait for (False: timed out).

        Also returns when the warm-up failed: `startup_error` then says why.
        """

    def check(self, job: CheckJob,
              on_series: SeriesCallback | None = None) -> CheckResult:
        ...

    def close(self) -> None:
        """Stop: checks still running are killed, and their `check` calls return at once."""


def make_engine(warm: bool = True, one_shot: bool = False) -> Engine:
    """The fastest engine for the job (or the plain one if asked).

    `one_shot`: the caller runs a single check (`run`): a warm worker would
    import torch and then fork, which costs more than one fresh process.
    TORCHLINGS_NO_WARM=1 in the environment has the same effect as warm=False.
    """
    from torchlings.engine.host.subprocess_engine import SubprocessEngine
    from torchlings.engine.host.warm_engine import WarmEngine, warm_supported

    if warm and not one_shot and warm_supported() and not os.environ.get("TORCHLINGS_NO_WARM"):
        return WarmEngine()
    return SubprocessEngine()


def check_one(engine: Engine, job: CheckJob,
              on_series: SeriesCallback | None = None) -> CheckResult:
    """`engine.check`, except that a fault of the engine itself becomes a result.

    The one place an engine's exception gets its verdict (FAULT, see
    `runner_fault`), for a single check and for `check_many` alike.
    """
    try:
        return engine.check(job, on_series=on_series)
    except Exception as exc:  # noqa: BLE001 - a bug of ours stays with this check
        return runner_fault(exc)


def check_many(
    engine: Engine,
    jobs: Sequence[CheckJob],
    *,
    workers: int = 2,
    on_result: Callable[[int, CheckResult], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[CheckResult]:
    """Check several jobs, `workers` at a time; results come back in job order.

    `on_result(index, result)` is called as each one finishes (from a worker
    thread), for progress displays. Once `cancel` is set, checks not yet started
    are dropped (those in flight finish), and the results that came in are
    returned, in job order. On KeyboardInterrupt the checks not yet
    started are dropped and the interrupt propagates at once; the callers have
    already recorded every result that came in before it.
    """
    results: list[CheckResult | None] = [None] * len(jobs)

    def one(index: int) -> None:
        if cancel is not None and cancel.is_set():
            return
        result = check_one(engine, jobs[index])
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

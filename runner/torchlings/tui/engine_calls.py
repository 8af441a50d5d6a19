"""How the app's workers call the engine: live series, and a cancellable check all.

The live learning curve: the engine's contract is that
`engine.check(job, on_series=callback)` calls `callback(series)` from a thread that
is not the UI's, at most about ten times a second, each time with the whole series
so far. An engine without that argument still gives the final series in its result.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable

from torchlings.engine import CheckJob, CheckResult, Engine


def check_with_series(engine: Engine, job: CheckJob,
                      on_series: Callable[[dict[str, list[float]]], None]) -> CheckResult:
    """engine.check(job, on_series=...) where the engine streams series, else a plain check."""
    try:
        streams = "on_series" in inspect.signature(engine.check).parameters
    except (TypeError, ValueError):
        streams = False
    if streams:
        return engine.check(job, on_series=on_series)  # type: ignore[call-arg]
    return engine.check(job)


class Stopped(BaseException):  # noqa: N818 - not an error: check_many must not record it as one
    """Ends check_many early once "check all" is cancelled.

    A BaseException, so that check_many, which turns an engine's exceptions into a
    result for that job, passes it through and drops the checks not yet started.
    """


class Cancellable:
    """The engine, except that checks not yet started are refused after a cancel."""

    def __init__(self, engine: Engine, cancel: threading.Event) -> None:
        self.engine, self.cancel, self.name = engine, cancel, engine.name

    def check(self, job: CheckJob) -> CheckResult:
        if self.cancel.is_set():
            raise Stopped
        return self.engine.check(job)

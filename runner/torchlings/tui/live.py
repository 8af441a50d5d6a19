"""A check that streams its series while it runs (the live learning curve).

The engine's contract: `engine.check(job, on_series=callback)` calls
`callback(series)` from a thread that is not the UI's, at most about ten times a
second, each time with the whole series so far. An engine without that argument
still gives the final series in its result.
"""

from __future__ import annotations

import inspect
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

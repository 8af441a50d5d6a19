"""The Engine Protocol is a checked contract: every engine, real or fake, has its methods
with its parameters, and a fault of the engine gets one verdict on every path."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path

import pytest

from torchlings.engine import CheckJob, CheckResult, Engine, Status, check_many, check_one
from torchlings.engine.host.subprocess_engine import SubprocessEngine
from torchlings.engine.host.warm_engine import WarmEngine

METHODS = ("start", "is_ready", "wait_ready", "check", "close")


def engines():
    from tests.test_verify import OutOfOrderEngine
    from tests.tui.tui_helpers import FakeEngine

    return [SubprocessEngine, WarmEngine, FakeEngine, OutOfOrderEngine]


def parameters(function) -> list[tuple[str, object]]:
    signature = inspect.signature(function)
    return [(p.name, p.default) for p in signature.parameters.values() if p.name != "self"]


@pytest.mark.parametrize("engine", engines(), ids=lambda e: e.__name__)
def test_an_engine_has_the_protocols_methods_and_parameters(engine):
    for method in METHODS:
        assert parameters(getattr(engine, method)) == parameters(getattr(Engine, method)), method
    assert isinstance(engine.name, str)


class Broken:
    """An engine whose check itself raises: a bug in torchlings, not in the learner's code."""

    name = "broken"
    startup_error = None

    def start(self) -> None: ...
    def is_ready(self) -> bool: return True
    def wait_ready(self, timeout: float | None = None) -> bool: return True
    def close(self) -> None: ...

    def check(self, job, on_series=None) -> CheckResult:  # noqa: ANN001
        raise RuntimeError("a bug of ours")


JOB = CheckJob(Path("checks/test_x.py"), Path("exercises/x.py"))


def test_an_engine_exception_gets_one_verdict_on_both_paths():
    single = check_one(Broken(), JOB)
    [many] = check_many(Broken(), [JOB])
    assert single.status is many.status is Status.FAULT
    assert single.summary == many.summary == "torchlings failed to run this check"
    assert "a bug of ours" in single.problem.message


def test_check_many_drops_the_checks_not_started_once_cancelled():
    cancel = threading.Event()
    seen: list[int] = []

    class Counting(Broken):
        def check(self, job, on_series=None) -> CheckResult:  # noqa: ANN001
            cancel.set()  # the learner pressed Esc during the first check
            return CheckResult(Status.PASSED)

    results = check_many(Counting(), [JOB] * 5, workers=1, cancel=cancel,
                         on_result=lambda i, r: seen.append(i))
    assert seen == [0] and [r.status for r in results] == [Status.PASSED]

"""Shared pieces for the engine's tests.

Learner files live in learners/ and are copied into a temporary folder before
a check runs, so a test can edit them, or they can leave files next to
themselves, without touching the repository.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from torchlings.engine.host.subprocess_engine import SubprocessEngine
from torchlings.engine.host.warm_engine import WarmEngine

from .support import LEARNERS


@pytest.fixture(scope="module")
def warm() -> Iterator[WarmEngine]:
    engine = WarmEngine()
    engine.start()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def cold() -> Iterator[SubprocessEngine]:
    engine = SubprocessEngine()
    yield engine
    engine.close()


@pytest.fixture
def learner(tmp_path: Path):
    """learner("good") -> a fresh copy of learners/good.py in a temporary folder."""

    def copy(name: str) -> Path:
        target = tmp_path / f"{name}.py"
        shutil.copyfile(LEARNERS / f"{name}.py", target)
        return target

    return copy

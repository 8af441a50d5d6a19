"""Shared fixtures: a small course copied into a fresh workspace per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from torchlings.cli import common as cli_common
from torchlings.cli.commands import cli
from torchlings.engine import make_engine

FIXTURE_COURSE = Path(__file__).parent / "fixtures" / "course"
# The fixture course's checks are data for these tests, not tests of the project.
collect_ignore = ["fixtures"]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the three-exercise test course; commands run inside it."""
    root = tmp_path / "ws"
    shutil.copytree(FIXTURE_COURSE, root)
    # Like a clone of the course: the committed files are the shipped ones.
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "course"], check=True)
    monkeypatch.setenv("TORCHLINGS_WORKSPACE", str(root))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return root


class _Borrowed:
    """The shared warm engine, lent to one command: its close() leaves it running."""

    def __init__(self, engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def close(self) -> None:
        pass


_shared_engine = None


def _borrow_engine(warm: bool = True, one_shot: bool = False):
    global _shared_engine
    if not warm:  # --no-warm and TORCHLINGS_NO_WARM keep their meaning
        return make_engine(warm=False)
    if _shared_engine is None:
        _shared_engine = make_engine(warm=True)
    return _Borrowed(_shared_engine)


@pytest.fixture(autouse=True)
def cli_checks_on_one_warm_engine(request: pytest.FixtureRequest,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run in-process here send their checks to one warm engine per test process.

    A check on it is a fork of a process that imported torch once, where a
    fresh engine would import torch again for every command: most of the
    suite's time. That both engines give the same results is proven in
    tests/engine; a test that is about which engine a command picks, or
    about starting one, is marked `real_engines` and gets the real ones.
    """
    if request.node.get_closest_marker("real_engines") is None:
        monkeypatch.setattr(cli_common, "make_engine", _borrow_engine)


@pytest.fixture(scope="session", autouse=True)
def _close_the_shared_engine():
    yield
    if _shared_engine is not None:
        _shared_engine.close()


@pytest.hookimpl(optionalhook=True)  # known only while pytest-xdist is loaded
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two test processes per core.

    Many tests spend their time waiting on a child process (a check's clock
    running out, a worker importing torch after one was killed); with one
    process per core the cores sat idle a third of the time.
    """
    return 2 * len(os.sched_getaffinity(0))


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def solve(root: Path, name: str, folder: str = "01_basics") -> None:
    shutil.copy(root / "solutions" / folder / f"{name}.py", root / "exercises" / folder / f"{name}.py")


def read_state(root: Path) -> dict:
    return json.loads((root / ".torchlings" / "state.json").read_text())


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove a command changed nothing."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }

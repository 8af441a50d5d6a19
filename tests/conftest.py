"""Shared fixtures: a small course copied into a fresh workspace per test."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from torchlings.cli import cli

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

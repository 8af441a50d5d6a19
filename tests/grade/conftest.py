"""Grading fixtures: an "installed" course (a copy of the test course) and learners' workspaces."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_COURSE, _borrow_engine
from torchlings.grading.course_source import PinnedCourse


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course as installed: the grade reads its catalog, checks and solutions only."""
    root = tmp_path_factory.mktemp("installed") / "course"
    shutil.copytree(FIXTURE_COURSE, root)
    return root


@pytest.fixture(scope="module")
def pinned(installed: Path) -> PinnedCourse:
    return PinnedCourse.load(installed)


def shared_engine():
    """The suite's warm engine (one per test process), lent to one grade."""
    return contextlib.closing(_borrow_engine())


def make_workspace(parent: Path, name: str, files: dict[str, str | bytes],
                   catalog: str | None = None, git: bool = False) -> Path:
    """A learner's checkout with `files` (paths relative to it) and, when given, its own catalog."""
    root = parent / name
    (root / "exercises").mkdir(parents=True)
    (root / "exercises" / "info.toml").write_text(
        catalog if catalog is not None else (FIXTURE_COURSE / "exercises" / "info.toml").read_text())
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    if git:
        command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run([*command, "init", "-q"], check=True)
        subprocess.run([*command, "add", "-A"], check=True)
        subprocess.run([*command, "commit", "-qm", "work"], check=True)
    return root

"""Only a regular file inside the workspace is read, never blocking, and only so much of it."""

from __future__ import annotations

import os
from pathlib import Path

from torchlings.grading.learner_files import MAX_EXERCISE_BYTES, read_learner_file

REL = Path("exercises/01_basics/double.py")


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "ws" / REL.parent).mkdir(parents=True)
    return tmp_path / "ws"


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    (ws / REL).write_bytes(b"x = 1\n")
    assert read_learner_file(ws, REL).source == b"x = 1\n"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    os.mkfifo(ws / REL)
    found = read_learner_file(ws, REL)
    assert found.source is None and "not a regular file" in found.problem


def test_a_link_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    secret = tmp_path / "solution.py"
    secret.write_text("def double(t):\n    return t * 2\n")
    (ws / REL).symlink_to(secret)
    found = read_learner_file(ws, REL)
    assert found.source is None and "outside the workspace" in found.problem


def test_a_huge_file_or_a_missing_one_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert read_learner_file(ws, REL).problem == f"{REL} is missing"
    (ws / REL).write_bytes(b"#" * (MAX_EXERCISE_BYTES + 1))
    assert "larger than" in read_learner_file(ws, REL).problem

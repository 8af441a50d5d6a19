"""From a clone's root: learner commands act on ./workspace, never on the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_COURSE, invoke


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository-shaped folder (runner/, solutions/, the shipped course) with ./workspace."""
    root = tmp_path / "clone"
    shutil.copytree(FIXTURE_COURSE, root)
    (root / "runner" / "torchlings").mkdir(parents=True)
    shutil.copytree(FIXTURE_COURSE, root / "workspace")
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    monkeypatch.chdir(root)
    return root


def test_a_command_at_the_clone_root_acts_on_the_workspace_and_says_so_once(clone):
    shutil.copy(clone / "solutions/01_basics/add.py", clone / "workspace/exercises/01_basics/add.py")
    result = invoke("run", "add")
    assert result.exit_code == 0, result.output
    assert result.output.count("using your workspace in workspace/") == 1
    # The path shown opens the learner's file from where the shell stands.
    assert "(workspace/exercises/01_basics/add.py)" in result.output
    assert "Next: 02 double (workspace/exercises/01_basics/double.py)" in result.output
    assert (clone / "workspace" / ".torchlings" / "state.json").is_file()
    assert not (clone / ".torchlings").exists()  # the repository is never a course
    listed = invoke("list")
    assert "1 of 3 done" in listed.output and "workspace/exercises/01_basics/add.py" in listed.output


def test_a_clone_without_a_workspace_says_how_to_make_one(clone):
    shutil.rmtree(clone / "workspace")
    for command in (["list"], ["run", "add"], ["verify"]):
        result = invoke(*command)
        assert result.exit_code == 2, command
        assert "own repository" in result.output and "./torchlings.sh start" in result.output
    assert not (clone / ".torchlings").exists()


def test_course_authors_tools_still_use_the_repository(clone):
    from torchlings.course import find_root

    assert find_root() == clone.resolve()  # `torchlings dev ...` reads the repository itself

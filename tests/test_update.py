"""`torchlings update`: a workspace made from an older course meets the installed one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_COURSE, invoke
from torchlings.learner import update as updating


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The course as the installed torchlings carries it (a copy we can upgrade)."""
    root = tmp_path / "installed"
    shutil.copytree(FIXTURE_COURSE, root)
    monkeypatch.setattr("torchlings.learner.shipped.course_root", lambda workspace=None: root)
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    return root


@pytest.fixture
def learner(installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert invoke("init", "ws").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    return tmp_path / "ws"


def upgrade(installed: Path) -> None:
    """What a new release changes: a check, an exercise's text, and a new exercise."""
    check = installed / "checks/01_basics/test_double.py"
    check.write_text(check.read_text() + "\n# a sharper check\n")
    halve = installed / "exercises/01_basics/halve.py"
    halve.write_text(halve.read_text() + "\n# clearer instructions\n")
    (installed / "exercises/02_more").mkdir()
    (installed / "checks/02_more").mkdir()
    (installed / "exercises/02_more/triple.py").write_text("def triple(t):\n    raise "
                                                            "NotImplementedError('t * 3')\n")
    (installed / "checks/02_more/test_triple.py").write_text("def test_it(exercise):\n"
                                                             "    exercise.triple(1)\n")
    catalog = installed / "exercises/info.toml"
    catalog.write_text(catalog.read_text() + '\n[[exercises]]\nname = "triple"\n'
                                             'dir = "02_more"\n')


def test_a_fresh_workspace_is_not_older(learner):
    assert not updating.is_older(learner)
    result = invoke("update")
    assert result.exit_code == 0 and "already has the installed course" in result.output


def test_update_adds_replaces_keeps_and_lists(learner, installed):
    mine = learner / "exercises/01_basics/add.py"
    mine.write_text("def add(a, b):\n    return a + b  # mine\n")
    old_check = (learner / "checks/01_basics/test_double.py").read_text()
    halve_before = (learner / "exercises/01_basics/halve.py").read_text()
    upgrade(installed)

    assert updating.is_older(learner)
    verify = invoke("verify")
    assert "older torchlings course" in verify.output and "torchlings update" in verify.output

    result = invoke("update")
    assert result.exit_code == 0, result.output
    said = result.output
    assert "added     exercises/02_more/triple.py" in said
    assert "added     checks/02_more/test_triple.py" in said
    assert "updated   checks/01_basics/test_double.py" in said
    assert "updated   exercises/info.toml" in said
    # The learner's files: never overwritten; the one the course changed is listed.
    assert mine.read_text().endswith("# mine\n")
    assert (learner / "exercises/01_basics/halve.py").read_text() == halve_before
    assert "torchlings reset 03" in said and "add" not in said.split("to take the new")[1]
    # The replaced check is kept.
    kept = list((learner / ".torchlings/backups").glob("before-update-*/checks/01_basics/"
                                                       "test_double.py"))
    assert len(kept) == 1 and kept[0].read_text() == old_check
    assert (learner / "checks/01_basics/test_double.py").read_text().endswith("sharper check\n")
    # Now it is the installed course: four exercises, nothing older.
    assert "1 of 4 done" in invoke("list").output  # add, solved by the learner
    assert not updating.is_older(learner)
    assert "already has the installed course" in invoke("update").output
    assert "older torchlings course" not in invoke("verify").output


def test_reset_takes_the_new_text_of_a_listed_exercise(learner, installed):
    upgrade(installed)
    invoke("update")
    assert invoke("reset", "03", "--yes").exit_code == 0
    assert (learner / "exercises/01_basics/halve.py").read_text().endswith("instructions\n")


def test_a_workspace_without_a_record_is_updated_without_guessing(learner, installed):
    (learner / ".torchlings" / updating.RECORD).unlink()
    mine = learner / "exercises/01_basics/add.py"
    mine.write_text("# mine\n")
    upgrade(installed)
    said = invoke("update").output
    assert "added     exercises/02_more/triple.py" in said and "no record" in said
    assert mine.read_text() == "# mine\n"


async def test_the_watch_screen_suggests_update(learner, installed):
    from tests.tui.tui_helpers import FakeEngine, toasts, wait_for
    from torchlings.learner.workspace import Workspace
    from torchlings.tui import TorchlingsApp, WatchOptions

    upgrade(installed)
    app = TorchlingsApp(Workspace.open(), FakeEngine(), WatchOptions(manual_run=True))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert any("torchlings update" in t for t in toasts(app))

"""The watch screen started from a clone's root: paths from there, and a save to the
shipped copy of the exercise is noticed and answered with the file to edit."""

from __future__ import annotations

from tui_helpers import FakeEngine, make_workspace, screen_text, toasts, wait_for

from torchlings.learner.workspace import Workspace
from torchlings.tui import TorchlingsApp, WatchOptions

SIZE = (110, 30)


def clone_with_workspace(tmp_path, monkeypatch):
    clone = make_workspace(tmp_path / "clone")
    (clone / "runner" / "torchlings").mkdir(parents=True)
    (clone / "solutions").mkdir()
    make_workspace(clone / "workspace")
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    monkeypatch.chdir(clone)
    return clone


async def test_a_save_to_the_shipped_copy_names_the_file_to_edit(tmp_path, monkeypatch):
    clone = clone_with_workspace(tmp_path, monkeypatch)
    workspace = Workspace.open()
    assert workspace.root == (clone / "workspace").resolve()
    engine = FakeEngine()
    app = TorchlingsApp(workspace, engine, WatchOptions(debounce=0.05))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        # The header names the learner's file as typed from the clone's root.
        assert "workspace/exercises/01_basics/first.py" in screen_text(app)
        assert any("Using your workspace in workspace/" in t for t in toasts(app))
        (clone / "exercises" / "01_basics" / "first.py").write_text("def answer(x):\n"
                                                                     "    return x + 1\n")
        await wait_for(pilot, lambda: any("You saved" in t for t in toasts(app)), timeout=10)
        told = next(t for t in toasts(app) if "You saved" in t)
        assert "You saved exercises/01_basics/first.py" in told
        assert "Your exercise is workspace/exercises/01_basics/first.py" in told
        assert len(engine.calls) == 1  # the shipped copy is never checked
    assert not (clone / ".torchlings").exists()

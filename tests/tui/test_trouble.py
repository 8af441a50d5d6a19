"""The watch screen when something around it goes wrong: the workspace deleted, the warm
worker unable to start, a check file edited, progress that cannot be saved, a full disk."""

from __future__ import annotations

import dataclasses
import errno
import shutil

from tui_helpers import failed, passed, screen_text, settle, toasts, wait_for

from torchlings.learner.report import CHECK_MODIFIED_NOTE
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.watch import WatchScreen

SIZE = (110, 30)


def make_app(workspace, engine, **options) -> TorchlingsApp:
    options.setdefault("manual_run", True)
    return TorchlingsApp(workspace, engine, WatchOptions(**options))


def path_of(workspace, name):
    return workspace.exercise_path(workspace.course.by_name(name))


# --- the workspace folder deleted while the screen runs ---------------------------

async def test_a_deleted_workspace_is_said_and_never_made_again(workspace, engine):
    root = workspace.root
    app = make_app(workspace, engine, manual_run=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "watching your saves" in screen_text(app)
        gate = engine.hold()  # a check is running when the folder goes
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 2)
        shutil.rmtree(root)

        await wait_for(pilot, lambda: app.gone is not None, timeout=10)
        await settle(pilot)
        text = screen_text(app)
        assert app.status_text.startswith("error — the workspace folder is gone")
        assert "is gone (deleted or moved away)" in text
        assert "watching your saves" not in text
        assert "Press q to quit" in text

        gate.set()  # the check in flight comes back: nothing is recorded or saved
        await wait_for(pilot, lambda: not app.checking)
        await pilot.press("r", "c", "x", "n", "l")
        await settle(pilot)
        assert len(engine.calls) == 2  # no more checks
        assert isinstance(app.screen, WatchScreen)
        assert not root.exists()  # neither a save nor a reset made it again
        assert screen_text(app).count("is gone (deleted or moved away)") == 1  # said once

        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running
    assert "the workspace folder is gone" in app.return_value
    assert not root.exists()


async def test_a_deleted_workspace_is_noticed_without_a_watcher(workspace, engine):
    root = workspace.root
    app = make_app(workspace, engine)  # --manual-run: no watcher to notice it
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        shutil.rmtree(root)
        await pilot.press("r")
        await settle(pilot)
        assert app.gone is not None and len(engine.calls) == 1
        assert "is gone (deleted or moved away)" in screen_text(app)
    assert not root.exists()


# --- the warm worker could not start ----------------------------------------------

async def test_a_warm_worker_that_cannot_start_is_said_not_warmed_for_ever(workspace, engine):
    engine.ready = False
    gate = engine.hold()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert "warming up the engine" in app.status_text
        engine.fail_start("The warm worker could not start (ImportError: no torch); "
                          "checks run in a fresh Python instead.")
        await wait_for(pilot, lambda: app.engine_ready)
        await settle(pilot)
        assert "warming" not in app.status_text  # while the first (cold) check runs
        assert "warming" not in screen_text(app)
        gate.set()
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        told = [t for t in toasts(app) if "fast checker could not start" in t]
        assert len(told) == 1 and "ImportError: no torch" in told[0]
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 2 and not app.checking)
        await settle(pilot)
        assert sum("fast checker" in t for t in toasts(app)) == 1


async def test_a_warm_worker_that_started_says_nothing(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        assert not any("fast checker" in t for t in toasts(app))


# --- a verdict from an edited check file -----------------------------------------

async def test_a_pass_against_an_edited_check_says_so(workspace, engine):
    engine.default = dataclasses.replace(passed(), check_modified=True)
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        assert app.status_text.startswith(f"done — 01 first passes ({CHECK_MODIFIED_NOTE})")
        assert "Press n for 02 second" in app.status_text
        assert CHECK_MODIFIED_NOTE in screen_text(app).replace("\n", " ").lower()


async def test_a_failure_against_an_edited_check_says_so(workspace, engine):
    engine.default = dataclasses.replace(failed(), check_modified=True)
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert app.status_text.startswith("failing")
        assert app.status_text.endswith(f"({CHECK_MODIFIED_NOTE})")


async def test_a_verdict_of_the_shipped_check_has_no_note(workspace, engine):
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        assert "check file" not in app.status_text
        assert "check file" not in screen_text(app)


# --- progress that cannot be saved (the real store) -------------------------------

async def test_a_save_that_keeps_failing_is_said_once_until_it_works(workspace, engine):
    state_file = workspace.store.path
    state_file.unlink(missing_ok=True)
    state_file.mkdir(parents=True)  # a folder where the progress file goes: every save fails
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=(110, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 2 and not app.checking)
        await settle(pilot)
        assert workspace.store.last_error is not None
        assert sum("is a folder, not a file" in t for t in toasts(app)) == 1

        state_file.rmdir()  # fixed: the next save works ...
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 3 and not app.checking)
        assert workspace.store.last_error is None and state_file.is_file()
        state_file.unlink()
        state_file.mkdir()  # ... and when it fails again, that is said again
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 4 and not app.checking)
        await settle(pilot)
        assert sum("is a folder, not a file" in t for t in toasts(app)) == 2


# --- reset on a full disk ---------------------------------------------------------

async def test_reset_on_a_full_disk_leaves_no_empty_backup(workspace, engine, monkeypatch):
    target = path_of(workspace, "first")
    target.write_text("my attempt\n")
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)

        def full_disk(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr("torchlings.learner.state.os.fsync", full_disk)
            await pilot.press("x", "y")
            await settle(pilot)
        told = [t for t in toasts(app) if "Could not keep a backup" in t]
        assert len(told) == 1 and "exercises/01_basics/first.py" in told[0]
        assert "No space left on device" in told[0]
    assert target.read_text() == "my attempt\n"  # not reset without a backup
    backups = workspace.root / ".torchlings" / "backups"
    assert not backups.exists() or list(backups.iterdir()) == []

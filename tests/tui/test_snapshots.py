"""Text snapshots of the main screens at the sizes a learner's terminal has.

Each snapshot is the screen as plain text, stored in tests/tui/snapshots/. After a
deliberate change of the layout, regenerate them with
    TORCHLINGS_UPDATE_SNAPSHOTS=1 pytest tests/tui/test_snapshots.py
and read the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tui_helpers import failed, not_done, passed, screen_text, settle, wait_for

from torchlings.engine import Status
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens import CheckAllScreen, ConfirmScreen, ListScreen

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("TORCHLINGS_UPDATE_SNAPSHOTS") == "1"


def compare(name: str, text: str) -> None:
    text = text.rstrip("\n")
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot written to {path}; check it and run again")
        return
    expected = path.read_text(encoding="utf-8").rstrip("\n")
    assert text == expected, (
        f"screen differs from {path} (TORCHLINGS_UPDATE_SNAPSHOTS=1 regenerates it)"
    )


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


def exercise_path(workspace, name):
    return workspace.exercise_path(workspace.course.by_name(name))


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_watch_not_done(workspace, engine, size):
    engine.default = not_done(exercise_path(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        compare(f"watch_not_done_{size[0]}x{size[1]}", screen_text(app))


async def test_watch_failing_with_hints(workspace, engine):
    engine.default = failed(exercise_path(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("h", "h")
        await settle(pilot)
        compare("watch_failing_hints_80x24", screen_text(app))


async def test_watch_done_with_a_loss_curve(workspace, engine):
    curve = [1.5 * 0.93**i + 0.05 * ((i * 7) % 5) / 5 for i in range(60)]
    engine.default = passed(series={"loss": curve})
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        compare("watch_done_series_100x30", screen_text(app))


async def test_watch_error(workspace, engine):
    engine.default = passed()
    engine.default.status = Status.TIMEOUT
    engine.default.summary = "timed out after 10 s: look for a loop that never ends"
    engine.default.tests = []
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        compare("watch_error_80x24", screen_text(app))


async def test_watch_warming_up(workspace, engine):
    engine.ready = False
    gate = engine.hold()
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        compare("watch_warming_80x24", screen_text(app))
        gate.set()


async def test_list_screen(workspace, engine):
    workspace.state.done.add("second")
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ListScreen))
        await settle(pilot)
        compare("list_80x24", screen_text(app))


async def test_confirm_reset(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await settle(pilot)
        compare("confirm_reset_80x24", screen_text(app))


async def test_check_all_summary(workspace, engine):
    engine.verdicts["first"] = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen)
                       and app.screen.finished)
        await settle(pilot)
        compare("check_all_80x24", screen_text(app))

"""`l`: the exercise list, with torchlings' keys and rustlings' (c/Enter, r, s and /, g/G)."""

from __future__ import annotations

import pytest
from tui_helpers import SOURCE, screen_text, settle, wait_for

from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.confirm import ConfirmScreen
from torchlings.tui.screens.exercise_list import ListScreen
from torchlings.tui.screens.watch import WatchScreen

SIZE = (100, 30)
SOURCE_TEXT = SOURCE


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


def path_of(workspace, name):
    return workspace.exercise_path(workspace.course.by_name(name))


async def test_list_moves_searches_filters_and_chooses(workspace, engine):
    workspace.state.done.add("second")
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        text = screen_text(app)
        assert "▶  01  first" in text  # the current row, still saying it is pending
        first_row = next(line for line in text.splitlines() if "01  first" in line)
        assert "pending" in first_row
        assert "second" in text and "done" in text
        assert "exercises/02_more/third.py" in text

        await pilot.press("j")
        assert app.screen.selected().name == "second"
        await pilot.press("down")
        assert app.screen.selected().name == "third"
        await pilot.press("k")
        assert app.screen.selected().name == "second"

        await pilot.press("d")
        assert [e.name for e in app.screen.rows()] == ["second"]
        await pilot.press("p")
        assert [e.name for e in app.screen.rows()] == ["first", "third"]
        await pilot.press("a")
        assert len(app.screen.rows()) == 3

        await pilot.press("slash", "d", "p", "x", "q", "g", "c", "r")  # letters go to the search box
        await settle(pilot)
        assert app.screen.search == "dpxqgcr" and app.screen.show == "all"
        assert isinstance(app.screen, ListScreen) and app.screen.rows() == []
        assert "nothing matches" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("slash", "t", "h")
        await settle(pilot)
        assert [e.name for e in app.screen.rows()] == ["third"]
        await pilot.press("escape")  # clears the search, stays in the list
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert len(app.screen.rows()) == 3

        await pilot.press("slash", "s", "e", "c", "enter")  # Enter keeps the search
        await settle(pilot)
        assert [e.name for e in app.screen.rows()] == ["second"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))
        await wait_for(pilot, lambda: app.current.name == "second" and app.result is not None)
        assert engine.calls[-1] == "second"
        assert workspace.state.current == "second"


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_list_goes_back(workspace, engine, key):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", "j", key)
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen)
        assert app.current.name == "first"
        assert app.is_running


async def test_list_reset_asks_first(workspace, engine):
    target = path_of(workspace, "second")
    target.write_text("my own work\n")
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", "j", "r")  # r as in rustlings (x works too)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Reset 02 second?" in screen_text(app)
        assert "becomes pending" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert target.read_text() == "my own work\n"
        await pilot.press("x", "y")
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert target.read_text() == SOURCE_TEXT
        backups = list((workspace.root / ".torchlings" / "backups").iterdir())
        assert [b.read_text() for b in backups] == ["my own work\n"]


@pytest.mark.parametrize("keys, expected", [
    (["G"], "third"), (["end"], "third"), (["G", "g"], "first"), (["G", "home"], "first"),
])
async def test_list_jumps_to_the_first_and_last(workspace, engine, keys, expected):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", *keys)
        await settle(pilot)
        assert app.screen.selected().name == expected


@pytest.mark.parametrize("key", ["c", "enter"])
async def test_list_continue_at(workspace, engine, key):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", "G", key)
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen)
                       and app.current.name == "third" and app.result is not None)
        assert workspace.state.current == "third"


async def test_list_s_searches_like_slash(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", "s", "t", "h", "i")
        await settle(pilot)
        assert [e.name for e in app.screen.rows()] == ["third"]

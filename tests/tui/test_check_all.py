"""`c`: check every exercise with the same check_many as `verify`; stop; scroll; go back.
And the final re-check after the last pending exercise passes."""

from __future__ import annotations

import pytest
from tui_helpers import errored, failed, passed, screen_text, settle, wait_for

from torchlings.engine import Status
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.check_all import CheckAllScreen
from torchlings.tui.screens.watch import WatchScreen

SIZE = (100, 30)


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


def first_word(app) -> str:
    return app.status_text.split()[0]


async def test_check_all_shows_each_and_a_summary_until_the_learner_goes_back(
        workspace, engine, monkeypatch):
    used = []
    import torchlings.tui.app as tui_app

    real = tui_app.check_many
    monkeypatch.setattr(tui_app, "check_many", lambda *a, **k: used.append(1) or real(*a, **k))
    engine.verdicts["first"] = passed()
    engine.verdicts["third"] = errored(Status.TIMEOUT)
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        gate = engine.hold()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen))
        assert first_word(app) == "checking"
        assert "0/3 checked" in screen_text(app)
        gate.set()
        await wait_for(pilot, lambda: app.screen.finished)
        assert used == [1]  # the engine's check_many, as `torchlings verify` uses
        text = screen_text(app)
        assert "1 of 3 exercises pass." in text
        # Each verdict in the words `torchlings verify` uses: a timeout reads "timeout".
        assert "02 second (not done)" in text and "03 third (timeout)" in text
        assert "⏱ timeout" in text and "… not done" in text
        assert "Press Esc or Enter to go back." in text
        assert "esc back" in text.splitlines()[-1]  # the way back is in the footer too
        await pilot.press("pagedown", "space", "down")  # scrolling keys do not dismiss it
        await settle(pilot)
        assert isinstance(app.screen, CheckAllScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))
        assert first_word(app) == "done"  # the current one passed in the full check
        assert workspace.state.done == {"first"}


async def test_a_long_course_scrolls_and_the_summary_stays_in_view(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 12)) as pilot:  # fewer rows than the table needs
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen)
                       and app.screen.finished)
        await settle(pilot)
        assert "Press Esc or Enter to go back." in screen_text(app)
        table = app.screen.query_one("#all-table")
        assert table.has_focus
        await pilot.press("pagedown")
        await settle(pilot)
        assert isinstance(app.screen, CheckAllScreen)


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_check_all_can_be_stopped(workspace, engine, key):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        gate = engine.hold()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen)
                       and len(engine.calls) >= 2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.check_all_run.state == "stopping")
        assert "stopping after the checks in flight" in screen_text(app)
        gate.set()
        await wait_for(pilot, lambda: app.screen.finished)
        assert "Stopped:" in screen_text(app)
        assert len(engine.calls) < 4  # the third exercise was never started
        assert 2 not in app.check_all_run.results  # nor given a verdict it never earned
        await pilot.press(key)  # goes back; q does not quit from here
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))
        assert app.is_running


async def test_check_all_waits_for_the_check_in_flight(workspace, engine):
    gate = engine.hold()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: engine.calls == ["first"])
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen))
        assert engine.calls == ["first"]  # one check at a time from this screen
        gate.set()
        await wait_for(pilot, lambda: app.screen.finished)
        assert sorted(engine.calls) == ["first", "first", "second", "third"]


async def test_the_last_pass_rechecks_everything_then_says_so(workspace, engine):
    workspace.state.done.update({"first", "second"})
    workspace.state.current = "third"
    for name in ("first", "second", "third"):
        engine.verdicts[name] = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen))
        await wait_for(pilot, lambda: app.screen.finished)
        assert sorted(engine.calls) == ["first", "second", "third", "third"]
        text = screen_text(app)
        assert "checking every exercise once more" in text
        assert "3 of 3 exercises pass." in text
        assert "Every exercise passes. Well done." in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))
        assert first_word(app) == "done"
        assert "Every exercise is done" in app.status_text


async def test_a_final_recheck_that_finds_a_failure_goes_there(workspace, engine):
    workspace.state.done.update({"first", "second"})
    workspace.state.current = "third"
    engine.verdicts.update(first=passed(), second=failed(), third=passed())
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen))
        await wait_for(pilot, lambda: app.screen.finished)
        assert "Well done" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.current.name == "second" and app.result is not None)
        assert first_word(app) == "failing"
        assert workspace.state.current == "second"

"""Small trips a new learner met in the watch screen (issue 21, items 7 and 9)."""

from __future__ import annotations

from tui_helpers import passed, screen_text, settle, toasts, wait_for

from torchlings.tui import TorchlingsApp, WatchOptions

SIZE = (100, 30)


def make_app(workspace, engine, **options) -> TorchlingsApp:
    options.setdefault("manual_run", True)
    return TorchlingsApp(workspace, engine, WatchOptions(**options))


async def test_deleting_the_current_exercise_is_noticed_and_x_brings_it_back(workspace, engine):
    target = workspace.exercise_path(workspace.current())
    app = make_app(workspace, engine, manual_run=False, debounce=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        target.unlink()
        await wait_for(pilot, lambda: len(engine.calls) == 2, timeout=10)  # no `r` needed
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: any("Brought back" in t for t in toasts(app)))
        assert target.is_file()
        assert not any("already is the shipped version" in t for t in toasts(app))


async def test_what_stays_after_q_does_not_ask_for_a_key_that_is_gone(workspace, engine):
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "Press n for 02 second" in screen_text(app)
        await pilot.press("q")
        await settle(pilot)
    summary = app.return_value
    assert "Press n" not in summary
    assert "01 first passes" in summary and "next: 02 second" in summary

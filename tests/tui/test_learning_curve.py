"""The learning curve: a real plot (axes, title) drawn WHILE a check runs, then the final one.

The fake engine follows the engine's contract: `check(job, on_series=callback)` calls
the callback from its own thread with the whole series so far."""

from __future__ import annotations

import threading

from tui_helpers import passed, screen_text, wait_for

from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.widgets.learning_curve import LearningCurve

SIZE = (120, 40)


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


async def test_the_curve_is_drawn_while_the_check_runs(workspace, engine):
    returns = [10.0, 14.0, 25.0, 60.0, 120.0, 190.0, 200.0]
    engine.streams["first"] = [{"return": returns[:3]}, {"return": returns}]
    engine.series_gate = gate = threading.Event()  # hold after the first update
    engine.verdicts["first"] = passed(series={"return": returns})
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.live_series.get("return") == returns[:3])
        plot = app.screen.query_one(LearningCurve)
        assert plot.display and app.checking
        text = screen_text(app)
        assert "return (live, 3 so far)" in text  # the title says it is live
        assert "episode" in text  # the x axis is labelled: returns come once per episode
        assert "25.0" in text  # the y axis has the values' scale
        gate.set()
        await wait_for(pilot, lambda: app.result is not None)
        text = screen_text(app)
        assert "return (7 episodes)" in text and "live" not in text
        assert "200" in text  # the final curve, with its new top


async def test_updates_for_an_exercise_left_behind_are_not_drawn(workspace, engine):
    engine.streams["first"] = [{"loss": [3.0, 2.0]}]
    engine.series_gate = gate = threading.Event()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.live_series)
        app.switch_to(workspace.course.by_name("second"))
        await wait_for(pilot, lambda: not app.live_series)
        gate.set()
        await wait_for(pilot, lambda: app.result is not None and app.current.name == "second")
        assert not app.screen.query_one(LearningCurve).display


async def test_a_finished_check_shows_its_series(workspace, engine):
    curve = [2.0 / (1 + i) for i in range(50)]
    engine.default = passed(series={"loss": curve})
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert app.screen.query_one(LearningCurve).display
        text = screen_text(app)
        assert "loss (50 steps)" in text and "step" in text


async def test_no_series_no_plot(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert not app.screen.query_one(LearningCurve).display

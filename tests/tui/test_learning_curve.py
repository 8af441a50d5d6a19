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


def training(episodes: int, seeds=(0, 1), bar: float = 195.0,
             slope: float = 9.0) -> dict[str, list[float]]:
    """Series as a capstone check records them: raw returns, the judged means, the bar."""
    series: dict[str, list[float]] = {"bar": [bar], "window": [20.0]}
    for seed in seeds:
        returns = [10.0 + slope * (1 + 0.3 * seed) * i + (40.0 if i % 2 else 0.0)
                   for i in range(episodes)]
        series[f"return, seed {seed}"] = returns
        tails = [returns[max(0, i - 19):i + 1] for i in range(episodes)]
        series[f"mean, seed {seed}"] = [sum(tail) / len(tail) for tail in tails]
    return series


async def test_a_training_check_plots_the_mean_it_judges_and_its_bar(workspace, engine):
    final = training(30)
    engine.streams["first"] = [training(5, seeds=(0,)), final]
    engine.series_gate = gate = threading.Event()
    engine.verdicts["first"] = passed(series=final)
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "mean, seed 0" in app.live_series)
        text = screen_text(app)
        # One title, from the check's own bar and window (not hard-coded here).
        assert text.count("20-episode mean, bar 195 (live)") == 1
        assert "return, seed" not in text  # the raw returns are not what is judged
        # While it trains: a line per seed with episode, the current mean and the bar.
        mean = final["mean, seed 0"][4]
        assert "20-episode mean return, bar 195:" in text
        assert f"seed 0: episode 5, mean {mean:.1f}" in text
        gate.set()
        await wait_for(pilot, lambda: app.result is not None)
        text = screen_text(app)
        assert text.count("20-episode mean, bar 195") == 1 and "live" not in text
        assert text.count("seed 0") == 1 and text.count("seed 1") == 1  # the legend, once
        assert "Checking" not in text


async def test_the_bar_comes_from_the_check(workspace, engine):
    engine.default = passed(series=training(25, seeds=(3,), bar=150.0))
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        text = screen_text(app)
        assert "20-episode mean, bar 150" in text and "seed 3" in text


def test_the_y_range_fits_returns_that_are_all_negative():
    from torchlings.tui.widgets.learning_curve import y_range

    # CartPole: the same room above as before, a quarter of the top.
    assert y_range(195.0, [10.0, 120.0, 190.0]) == (0.0, 195.0 * 1.25)
    # Pendulum: every mean and the bar below zero, the best mean inside the limits.
    bottom, top = y_range(-250.0, [-1400.0, -900.0, -180.0])
    assert bottom <= -1400.0 and top > -180.0 and top > -250.0

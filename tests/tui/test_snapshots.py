"""Every screen as an SVG snapshot, at the two sizes learners' terminals have.

Deterministic: a fake engine with canned verdicts, a course written by the test,
paths shown from inside the workspace, no toasts. See snapshot.py for updating."""

from __future__ import annotations

import threading

import pytest
from snapshot import snap_compare
from tui_helpers import errored, failed, not_done, passed, wait_for

from torchlings.engine import Status
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.check_all import CheckAllScreen
from torchlings.tui.screens.confirm import ConfirmScreen
from torchlings.tui.screens.exercise_list import ListScreen

SIZES = [(80, 24), (120, 40)]
CURVE = [1.5 * 0.93**i + 0.05 * ((i * 7) % 5) / 5 for i in range(60)]


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


def path_of(workspace, name):
    return workspace.exercise_path(workspace.course.by_name(name))


def verdict_in(app):
    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
    return run_before


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def size(request):
    return request.param


async def test_watch_not_done(workspace, engine, size, tmp_path):
    engine.default = not_done(path_of(workspace, "first"))
    app = make_app(workspace, engine)
    await snap_compare(app, "watch_not_done", size, tmp_path, verdict_in(app))


async def test_watch_failing_with_hints(workspace, engine, size, tmp_path):
    engine.default = failed(path_of(workspace, "first"))
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("h", "h")

    await snap_compare(app, "watch_failing_hints", size, tmp_path, run_before)


async def test_watch_done_with_solution_and_curve(workspace, engine, size, tmp_path):
    solution = workspace.root / "solutions" / "01_basics" / "first.py"
    solution.parent.mkdir(parents=True)
    solution.write_text("def answer(x):\n    return x + 1\n")
    engine.default = passed(series={"loss": CURVE})
    engine.default.output = "loss went down\n"
    app = make_app(workspace, engine)
    await snap_compare(app, "watch_done", size, tmp_path, verdict_in(app))


def stop_the_clock(app, monkeypatch, seconds: float = 3.2) -> None:
    """The checking line's time: always `seconds` after the check began."""
    monkeypatch.setattr("torchlings.tui.widgets.checking_panel.clock",
                        lambda: max(app.check_began, app.engine_ready_at) + seconds)


async def test_watch_live_curve(workspace, engine, size, tmp_path, monkeypatch):
    engine.streams["first"] = [{"return": [9.0, 12.0, 30.0, 80.0, 150.0]}]
    engine.series_gate = gate = threading.Event()
    app = make_app(workspace, engine)
    stop_the_clock(app, monkeypatch)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.live_series)

    try:
        await snap_compare(app, "watch_live_curve", size, tmp_path, run_before)
    finally:
        gate.set()


async def test_watch_capstone_training(workspace, engine, size, tmp_path, monkeypatch):
    from test_learning_curve import training

    engine.streams["first"] = [training(45, slope=3.0)]
    engine.series_gate = gate = threading.Event()
    app = make_app(workspace, engine)
    stop_the_clock(app, monkeypatch, seconds=8.4)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: "mean, seed 1" in app.live_series)

    try:
        await snap_compare(app, "watch_capstone_training", size, tmp_path, run_before)
    finally:
        gate.set()


async def test_watch_timeout(workspace, engine, size, tmp_path):
    engine.default = errored(Status.TIMEOUT)
    app = make_app(workspace, engine)
    await snap_compare(app, "watch_timeout", size, tmp_path, verdict_in(app))


async def test_watch_warming_up(workspace, engine, size, tmp_path):
    engine.ready = False
    gate = engine.hold()
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: engine.calls == ["first"])

    try:
        await snap_compare(app, "watch_warming", size, tmp_path, run_before)
    finally:
        gate.set()


async def test_list(workspace, engine, size, tmp_path):
    workspace.state.done.update({"first", "second"})
    workspace.state.current = "first"
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ListScreen))

    await snap_compare(app, "list", size, tmp_path, run_before)


async def test_confirm_reset(workspace, engine, size, tmp_path):
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))

    await snap_compare(app, "confirm_reset", size, tmp_path, run_before)


async def test_check_all_summary(workspace, engine, size, tmp_path):
    engine.verdicts["first"] = passed()
    engine.verdicts["third"] = errored(Status.CRASHED)
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen)
                       and app.screen.finished)

    await snap_compare(app, "check_all", size, tmp_path, run_before)


async def test_final_recheck_complete(workspace, engine, size, tmp_path):
    workspace.state.done.update({"first", "second"})
    workspace.state.current = "third"
    engine.default = passed()
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen)
                       and app.screen.finished)

    await snap_compare(app, "final_recheck", size, tmp_path, run_before)


async def test_help(workspace, engine, size, tmp_path):
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("question_mark")

    await snap_compare(app, "help", size, tmp_path, run_before)


def _episode(env_id):
    """A fixed episode: the agent part-way through, mid-sway (the frame shown is 40)."""
    from math import cos, pi, sin

    from torchlings.checkapi.episode import make_episode

    if env_id == "CartPole-v1":
        observations = [[0.02 * k, 0.0, 0.12 * sin(k / 6), 0.0] for k in range(121)]
        return make_episode(env_id, observations, [k % 2 for k in range(120)], [1.0] * 120)
    angles = [pi - 0.05 * k for k in range(81)]  # swinging up from hanging down
    return make_episode(env_id, [[cos(a), sin(a), 0.4] for a in angles],
                        [[2.0 * sin(k / 7)] for k in range(80)], [-(a % pi) ** 2 for a in angles[:80]])


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
async def test_watch_playback(workspace, engine, size, tmp_path, env_id):
    from torchlings.tui.widgets.playback import Playback

    engine.default = passed(series={"return, seed 0": CURVE[::-1]})
    engine.default.episode = _episode(env_id)
    app = make_app(workspace, engine)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.result is not None)
        app.screen.query_one(Playback).seek(40)  # one frame, held: the snapshot is stable

    name = "watch_playback_" + env_id.split("-")[0].lower()
    await snap_compare(app, name, size, tmp_path, run_before)

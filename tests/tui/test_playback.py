"""Watching the agent play: the watch screen replays the episode a passing capstone recorded."""

from __future__ import annotations

import math

from tui_helpers import passed, screen_text, wait_for

from torchlings.checkapi.episode import make_episode
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.help import HelpScreen
from torchlings.tui.widgets.playback import Playback

SIZE = (80, 24)


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


def balancing(steps: int = 24):
    """A CartPole episode whose pole sways and whose cart drifts right."""
    observations = [[0.05 * k, 0.0, 0.1 * math.sin(k / 3), 0.0] for k in range(steps + 1)]
    return make_episode("CartPole-v1", observations, [k % 2 for k in range(steps)],
                        [1.0] * steps)


def passed_with(episode):
    result = passed(series={"return, seed 0": [20.0, 80.0, 200.0]})
    result.episode = episode
    return result


async def test_a_passing_capstone_plays_its_episode_to_the_end_once(workspace, engine):
    engine.default = passed_with(balancing())
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        assert playback.display and playback.playing
        await wait_for(pilot, lambda: not playback.playing)
        assert playback.frame == 24  # stopped on the last frame, not past it, not looping
        text = screen_text(app)
        assert "step 24/24 (end)  return 24  CartPole-v1" in text
        assert "your agent plays (greedy): p replays" in text
        assert "p replay agent" in text  # the footer offers the key


async def test_p_replays_from_the_start(workspace, engine):
    engine.default = passed_with(balancing())
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        await wait_for(pilot, lambda: not playback.playing)
        frames = []
        playback.watch(playback, "frame", lambda frame: frames.append(frame), init=False)
        await pilot.press("p")
        await wait_for(pilot, lambda: not playback.playing and playback.frame == 24)
        assert frames[0] == 0 and frames == sorted(frames) and len(frames) > 2  # it moved


async def test_no_episode_no_playback_and_no_key(workspace, engine):
    engine.default = passed(series={"loss": [3.0, 2.0, 1.0]})
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        assert not playback.display and not playback.playing
        assert "replay" not in screen_text(app)
        await pilot.press("p")  # not bound now: nothing happens, nothing breaks
        assert not playback.playing and app.screen.check_action("replay", ()) is False


async def test_leaving_the_exercise_stops_and_hides_the_playback(workspace, engine):
    engine.verdicts["first"] = passed_with(balancing(400))  # long enough to be mid-play
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        assert playback.playing
        app.switch_to(workspace.course.by_name("second"))
        await wait_for(pilot, lambda: not playback.display)
        assert not playback.playing and playback.episode is None


async def test_a_new_check_hides_the_old_agent_until_its_result(workspace, engine):
    engine.default = passed_with(balancing(400))
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        gate = engine.hold()
        app.request_check()
        await wait_for(pilot, lambda: app.checking)
        assert not playback.display and not playback.playing
        gate.set()
        await wait_for(pilot, lambda: not app.checking)
        assert playback.display and playback.playing  # the new agent plays from the start


async def test_the_timer_stops_when_the_screen_goes(workspace, engine):
    engine.default = passed_with(balancing(400))
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        assert playback.playing
        await playback.remove()
        assert not playback.playing


async def test_help_names_the_replay_key(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "p   replay agent" in screen_text(app)


async def test_it_reads_without_colour(workspace, engine, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    engine.default = passed_with(balancing())
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        playback = app.screen.query_one(Playback)
        playback.seek(12)
        await pilot.pause()
        text = screen_text(app)
        assert "step 12/24  return 12" in text and "▐█████▌" in text and "|──" in text

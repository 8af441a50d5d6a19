"""Watching the agent play: the episode a capstone recorded, replayed as a small animation.

When a result carries an episode (`CheckResult.episode`, a trained agent's
greedy play) this widget shows itself and plays it once at the environment's
own pace; p replays it. A Textual timer moves the frame on and stops at the
last frame, when the result goes away and when the widget leaves the screen.
Drawing is `playback_art.draw_frame` on numbers already in memory: no I/O.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from torchlings.checkapi.episode import Episode
from torchlings.tui.widgets.app_access import AppAccess
from torchlings.tui.widgets.playback_art import draw_frame, last_frame, seconds_per_step

# The screen redraws at most this often; a faster environment moves several steps a tick.
MIN_TICK = 0.04


class Playback(AppAccess, Widget):
    frame: reactive[int] = reactive(0)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.episode: Episode | None = None
        self._timer: Timer | None = None
        self._steps_per_tick = 1

    def on_mount(self) -> None:
        self.watch_app(self._result_changed, "result", "checking")

    def on_unmount(self) -> None:
        self.stop()

    def _result_changed(self) -> None:
        app = self.tapp
        result = app.result
        episode = result.episode if result is not None and not app.checking else None
        self.display = episode is not None
        if episode is self.episode:
            return
        self.episode = episode
        self.screen.refresh_bindings()  # the replay key comes and goes with the episode
        if episode is None:
            self.stop()
        else:
            self.border_title = "your agent plays (greedy): p replays"
            self.replay()

    @property
    def playing(self) -> bool:
        return self._timer is not None

    def replay(self) -> None:
        """Play the episode from its first frame, at the environment's own pace."""
        if self.episode is None:
            return
        self.stop()
        self.frame = 0
        per_step = seconds_per_step(self.episode.env_id)
        self._steps_per_tick = max(1, round(MIN_TICK / per_step))
        self._timer = self.set_interval(per_step * self._steps_per_tick, self._advance)

    def seek(self, frame: int) -> None:
        """Stop and show one frame (tests and snapshots use this)."""
        self.stop()
        self.frame = frame

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _advance(self) -> None:
        if self.episode is None:
            self.stop()
            return
        end = last_frame(self.episode)
        self.frame = min(self.frame + self._steps_per_tick, end)
        if self.frame >= end:
            self.stop()

    def render(self) -> Text:
        if self.episode is None:
            return Text()
        size = self.content_size
        lines = draw_frame(self.episode, self.frame, size.width, size.height)
        text = Text("\n".join(lines), no_wrap=True, overflow="crop")
        text.stylize("bold", 0, len(lines[0]))  # the step counter and the return
        return text

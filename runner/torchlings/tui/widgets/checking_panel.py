"""While a check runs: what is being checked, for how long, the limit ahead, and for a
check that trains, one line per seed (episode, the mean it judges, the bar).

It sits above the verdict, which stays below it marked as the previous one: a slow
check must never look finished, nor a fast one make the screen flash empty.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from torchlings.checkapi.curves import Judged, judged
from torchlings.tui.widgets.app_access import AppAccess

REFRESH_SECONDS = 0.25
clock = time.monotonic  # the app's clock; snapshot tests stop it
BAR_CELLS = 10


def seed_line(label: str, means: list[float], seen: Judged, width: int = 80) -> Text:
    """`  seed 0: episode 57, mean 143.2 ███████░░░` (the bar is in the heading above).

    The gauge gets what room the line leaves (up to BAR_CELLS), so it never wraps.
    """
    mean = means[-1]
    line = Text(f"  {label}: episode {len(means)}, mean {mean:.1f} ")
    cells = min(BAR_CELLS, width - len(line.plain))
    if cells >= 3:
        share = min(1.0, max(0.0, mean / seen.bar)) if seen.bar > 0 else 0.0
        filled = round(cells * share)
        line.append("█" * filled, style="bold")
        line.append("░" * (cells - filled))
    return line


class CheckingPanel(AppAccess, Static):
    def on_mount(self) -> None:
        self._timer = self.set_interval(REFRESH_SECONDS, self._draw, pause=True)
        self.watch_app(self._changed, "checking", "live_series", "engine_ready", "all_running",
                       "gone")

    def _changed(self) -> None:
        running = self._check_running()
        if running:
            self._timer.resume()
        else:
            self._timer.pause()
        self._draw()

    def _check_running(self) -> bool:
        app = self.tapp
        return app.checking and not app.all_running and not app.gone

    def _draw(self) -> None:
        running = self._check_running()
        self.display = running
        if running:
            self.update(self.text())

    def text(self) -> Text:
        app = self.tapp
        exercise = app.current
        text = Text("Checking ", style="bold")
        text.append(f"{exercise.label} {exercise.name}", style="bold")
        if not app.engine_ready:
            text.append(": warming up first (importing torch)")
        else:
            began = max(app.check_began, app.engine_ready_at)
            elapsed = max(0.0, clock() - began)
            text.append(f": {elapsed:.1f} s (stopped at {app.check_timeout:g} s)")
        seen = judged(app.live_series)
        if seen is not None and seen.means:
            text.append(f"\n{seen.window}-episode mean return, bar {seen.bar:g}:")
            for label, means in seen.means.items():
                text.append("\n")
                text.append_text(seed_line(label, means, seen, self.content_region.width or 80))
        if app.result is not None:
            text.append("\nBelow: the previous verdict, from before this check.")
        return text

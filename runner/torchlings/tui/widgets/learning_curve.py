"""The learning curve: every series a check reports (losses, returns), plotted with axes
and a title, live while the check runs (SeriesUpdated) and final after it.

A check that trains an agent records what it judges (checkapi/curves.py): then the
plot shows each seed's rolling mean, the number the check compares, with the bar
it must reach as a horizontal line, rather than the raw returns that jump about.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from torchlings.checkapi.curves import judged
from torchlings.tui.widgets.app_access import AppAccess


class LearningCurve(AppAccess, PlotextPlot):
    def on_mount(self) -> None:
        super().on_mount()
        self.watch_app(self._draw, "live_series", "result", "checking")

    def series(self) -> tuple[dict[str, list[float]], bool]:
        """(what to plot, whether it is live)."""
        app = self.tapp
        if app.checking and app.live_series:
            return app.live_series, True
        if app.result is not None and not app.checking:
            return app.result.series, False
        return {}, False

    _empty = False  # nothing plotted, and the figure already cleared

    def _draw(self) -> None:
        series, live = self.series()
        series = {name: values for name, values in series.items() if values}
        seen = judged(series)
        # A training check before its first episode has a bar and nothing to draw yet.
        self.display = bool(series) and (seen is None or bool(seen.means))
        if not self.display and self._empty:
            return  # clearing the figure again costs more than the rest of a redraw
        self._empty = not self.display
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.display:
            return
        if seen is not None:
            self._draw_judged(seen.means, seen.bar, seen.window, live)
        else:
            self._draw_plain(series, live)
        self.refresh()

    def _draw_judged(self, means: dict[str, list[float]], bar: float, window: int,
                     live: bool) -> None:
        plt = self.plt
        for label, values in means.items():
            plt.plot(list(range(1, len(values) + 1)), values, label=label, marker="braille")
        plt.hline(bar)
        plt.ylim(*y_range(bar, [v for series in means.values() for v in series]))
        # Short enough for a narrow plot: plotext drops a title that does not fit.
        plt.title(f"{window}-episode mean, bar {bar:g}" + (" (live)" if live else ""))
        plt.xlabel("episode")

    def _draw_plain(self, series: dict[str, list[float]], live: bool) -> None:
        plt = self.plt
        for name, values in series.items():
            plt.plot(list(range(1, len(values) + 1)), values, label=name, marker="braille")
        names = ", ".join(series)
        steps = max(len(v) for v in series.values())
        # A return is recorded once per episode; anything else (a loss) once per step.
        unit = "episode" if all(name.startswith("return") for name in series) else "step"
        plt.title(f"{names} (live, {steps} so far)" if live else f"{names} ({steps} {unit}s)")
        plt.xlabel(unit)


def y_range(bar: float, values: list[float]) -> tuple[float, float]:
    """The y limits for judged means: from 0 (or below) to a quarter of the span above the top.

    The room above the top keeps the legend in the top row off the curve and the
    bar. It is measured on the span, not as a factor of the top, so that returns
    that are all negative (Pendulum's) still fit under the limit.
    """
    bottom = min(0.0, bar, *values)
    top = max(bar, *values)
    return bottom, top + 0.25 * ((top - bottom) or 1.0)

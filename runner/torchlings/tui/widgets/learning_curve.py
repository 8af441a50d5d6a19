"""The learning curve: every series a check reports (losses, returns), plotted with axes
and a title, live while the check runs (SeriesUpdated) and final after it."""

from __future__ import annotations

from textual_plotext import PlotextPlot

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
        self.display = bool(series)
        if not series and self._empty:
            return  # clearing the figure again costs more than the rest of a redraw
        self._empty = not series
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not series:
            return
        for name, values in series.items():
            plt.plot(list(range(1, len(values) + 1)), values, label=name, marker="braille")
        names = ", ".join(series)
        steps = max(len(v) for v in series.values())
        # A return is recorded once per episode; anything else (a loss) once per step.
        unit = "episode" if all(name.startswith("return") for name in series) else "step"
        plt.title(f"{names} (live, {steps} so far)" if live else f"{names} ({steps} {unit}s)")
        plt.xlabel(unit)
        self.refresh()

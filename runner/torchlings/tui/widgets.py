"""Small pieces of the watch screen, drawn as text so they resize with the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from torchlings.engine import CheckResult, Status

BLOCKS = "▁▂▃▄▅▆▇█"

# The first word of the status line is read by tools and tests: keep it to these four.
STATUS_WORDS = ("checking", "failing", "done", "error")
WORD_STYLE = {
    "checking": "bold cyan",
    "failing": "bold yellow",
    "done": "bold green",
    "error": "bold red",
}


def status_word_for(result: CheckResult) -> str:
    if result.status in (Status.PASSED, Status.SKIPPED):
        return "done"
    if result.status in (Status.FAILED, Status.NOT_DONE):
        return "failing"
    return "error"  # error, timeout, crashed


def progress_text(done: int, total: int, width: int) -> Text:
    """A bar of `width` cells, then `done/total`."""
    width = max(4, width)
    filled = round(width * done / total) if total else 0
    text = Text()
    text.append("━" * filled, style="green")
    text.append("━" * (width - filled), style="grey37")
    return text


def sparkline(values: Sequence[float], width: int) -> str:
    """The values squeezed into `width` block characters (means of equal buckets)."""
    data = [float(v) for v in values if v == v]  # drop NaN
    if not data:
        return ""
    width = max(1, min(width, len(data)))
    buckets = []
    for index in range(width):
        start = index * len(data) // width
        end = max(start + 1, (index + 1) * len(data) // width)
        chunk = data[start:end]
        buckets.append(sum(chunk) / len(chunk))
    low, high = min(buckets), max(buckets)
    if high - low < 1e-12:
        return BLOCKS[len(BLOCKS) // 2] * width
    scale = (len(BLOCKS) - 1) / (high - low)
    return "".join(BLOCKS[round((v - low) * scale)] for v in buckets)


def series_renderable(series: dict[str, list[float]], width: int) -> RenderableType:
    parts: list[RenderableType] = []
    for name, values in series.items():
        if not values:
            continue
        parts.append(Text(name, style="bold"))
        parts.append(Text(sparkline(values, width), style="cyan"))
        parts.append(Text(f"{_fmt(values[0])} → {_fmt(values[-1])}  ({len(values)} steps)",
                          style="dim"))
        parts.append(Text(""))
    return Group(*parts)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


class SeriesPanel(Static):
    """Loss curves (or any series a check reports) as sparklines beside the result."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)
        self.series: dict[str, list[float]] = {}

    def show(self, series: dict[str, list[float]]) -> None:
        self.series = {k: v for k, v in series.items() if v}
        self.display = bool(self.series)
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        width = max(8, self.content_region.width or 30)
        return series_renderable(self.series, width)

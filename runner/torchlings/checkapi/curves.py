"""How a check that trains tells the watch screen what it judges, through its series.

A capstone check records, besides each episode's return, the rolling mean it
judges (one series per seed, `mean, seed 0`), and once the bar that mean must
reach and the window it covers (the one-point series `bar` and `window`). The
watch screen draws those means and the bar from this data, so a check that
changes its bar or window changes the picture too. Imported by the watch screen:
no torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

BAR = "bar"
WINDOW = "window"
MEAN_PREFIX = "mean, "


def mean_series(label: str) -> str:
    """The name of the rolling-mean series for one run (`label` is e.g. "seed 0")."""
    return f"{MEAN_PREFIX}{label}"


@dataclass(frozen=True)
class Judged:
    """What a training check judges: each run's rolling mean, against the bar."""

    bar: float
    window: int
    means: dict[str, list[float]]  # run label ("seed 0") -> the mean after each episode


def judged(series: dict[str, list[float]]) -> Judged | None:
    """The judged means and bar in a check's series, or None when it recorded no bar."""
    if not series.get(BAR):
        return None
    window = int(series[WINDOW][-1]) if series.get(WINDOW) else 0
    means = {name.removeprefix(MEAN_PREFIX): values for name, values in series.items()
             if name.startswith(MEAN_PREFIX) and values}
    return Judged(bar=series[BAR][-1], window=window, means=means)

"""The words, symbols and styles the learner sees for a status, in one place.

The CLI, the report and the watch screen all ask here, so "done" is always
green with a check mark and never "passed" in one place and "ok" in another.

Under NO_COLOR (https://no-color.org) nothing is coloured and nothing is dim:
dim text is what a learner's terminal theme makes hardest to read, so the
styles keep only weight (bold) and the symbols carry the meaning.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from torchlings.engine import Status


class Look(NamedTuple):
    word: str
    symbol: str
    colour: str


# A check's verdict, as the learner reads it.
STATUS_LOOK: dict[Status, Look] = {
    Status.PASSED: Look("done", "✓", "green"),
    Status.FAILED: Look("failing", "✗", "red"),
    Status.NOT_DONE: Look("not done", "…", "yellow"),
    Status.ERROR: Look("error", "✗", "red"),
    Status.TIMEOUT: Look("timeout", "⏱", "magenta"),
    Status.CRASHED: Look("crashed", "✗", "magenta"),
    Status.SKIPPED: Look("skipped", "-", "cyan"),
}

# States that are not a verdict: an exercise's place in the course, a check in flight.
STATE_LOOK: dict[str, Look] = {
    "checking": Look("checking", "⟳", "cyan"),
    "waiting": Look("waiting", "·", ""),
    "pending": Look("pending", "·", "yellow"),
    "current": Look("current", "→", "cyan"),
    "done": Look("done", "✓", "green"),
}

# One pytest test inside a check.
OUTCOME_LOOK: dict[str, Look] = {
    "passed": Look("passed", "✓", "green"),
    "failed": Look("failed", "✗", "red"),
    "error": Look("error", "✗", "red"),
    "skipped": Look("skipped", "-", "cyan"),
}


def no_color() -> bool:
    """True when the learner asked for no colour (NO_COLOR set and not empty)."""
    return bool(os.environ.get("NO_COLOR"))


def look_for(status: Status | str) -> Look:
    if isinstance(status, Status):
        return STATUS_LOOK[status]
    return STATE_LOOK.get(status) or OUTCOME_LOOK.get(status) or Look(str(status), "?", "")


def word_for(status: Status | str) -> str:
    """The word for a verdict (`Status`) or a state ("checking", "pending", ...)."""
    return look_for(status).word


def symbol_for(status: Status | str) -> str:
    return look_for(status).symbol


def style_for(status: Status | str, *, bold: bool = True) -> str:
    """A Rich style string for a status word: its colour, or only weight under NO_COLOR."""
    return paint(look_for(status).colour, bold=bold)


def paint(colour: str, *, bold: bool = False) -> str:
    """A style with `colour` (dropped under NO_COLOR), bold if asked."""
    parts = ["bold"] if bold else []
    if colour and not no_color():
        parts.append(colour)
    return " ".join(parts) or "none"


def muted() -> str:
    """Secondary text: dim where colours are allowed, plain under NO_COLOR (dim is hard to read)."""
    return "none" if no_color() else "dim"

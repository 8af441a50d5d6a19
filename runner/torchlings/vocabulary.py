"""The verdict table: what each Status means and how it looks, in one place.

The CLI, the report, the watch screen and check-all all ask here, so "done" is
always green with a check mark and never "passed" in one place and "ok" in
another, a timeout reads "timeout" everywhere, and the progression policy
(learner/workspace.py) reads what a verdict does to "done" from the same rows.

Under NO_COLOR (https://no-color.org) nothing is coloured and nothing is dim:
dim text is what a learner's terminal theme makes hardest to read, so the
styles keep only weight (bold) and the symbols carry the meaning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple

from torchlings.engine import Status


class Look(NamedTuple):
    word: str
    symbol: str
    colour: str


@dataclass(frozen=True)
class Verdict:
    """One row of the verdict table."""

    look: Look
    # The status line's first word, one of HEADLINES: the verdicts grouped as
    # a learner acts on them (done: move on; failing: fix the code; error:
    # read what happened).
    headline: str
    # The exercise is done after this verdict (recorded in the progress file).
    marks_done: bool
    # It counts for the course: the learner may move on, and the final re-check
    # calls the course complete when every exercise counts.
    counts_as_done: bool
    # It takes "done" away: the code as it is now does not pass, whatever it
    # did before. Never for a verdict that did not judge the learner's code.
    undoes_done: bool

    @property
    def word(self) -> str:
        return self.look.word


VERDICTS: dict[Status, Verdict] = {
    Status.PASSED: Verdict(Look("done", "✓", "green"), "done", True, True, False),
    # Not checked here (it needs CUDA and there is none): progress stays as it was.
    Status.SKIPPED: Verdict(Look("skipped", "-", "cyan"), "done", False, True, False),
    Status.FAILED: Verdict(Look("failing", "✗", "red"), "failing", False, False, True),
    Status.NOT_DONE: Verdict(Look("not done", "…", "yellow"), "failing", False, False, True),
    Status.ERROR: Verdict(Look("error", "✗", "red"), "error", False, False, True),
    Status.TIMEOUT: Verdict(Look("timeout", "⏱", "magenta"), "error", False, False, True),
    # The check process died (a segfault, os._exit in learner code).
    Status.CRASHED: Verdict(Look("crashed", "✗", "magenta"), "error", False, False, True),
    # torchlings itself failed to run the check: the code was not judged.
    Status.FAULT: Verdict(Look("not judged", "!", "magenta"), "error", False, False, False),
}

# A check's verdict, as the learner reads it.
STATUS_LOOK: dict[Status, Look] = {status: verdict.look for status, verdict in VERDICTS.items()}

# The status line's first words, in the order a check goes through them.
HEADLINES = ("checking", "failing", "done", "error")
# Each headline looks like the verdict it is named after.
_HEADLINE_VERDICT = {"done": Status.PASSED, "failing": Status.FAILED, "error": Status.ERROR}


def verdict(status: Status) -> Verdict:
    return VERDICTS[status]


def counts_as_done(status: Status) -> bool:
    """Passed, or not checked here: the learner may move on (the set spelled once)."""
    return VERDICTS[status].counts_as_done


def headline_for(status: Status) -> str:
    return VERDICTS[status].headline


def headline_style(word: str) -> str:
    """The style of a status line's first word (one of HEADLINES)."""
    status = _HEADLINE_VERDICT.get(word)
    return style_for(status if status is not None else word)


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

"""The status line's words: what the learner reads first, and tools and tests parse.

The first word is always one of STATUS_WORDS (vocabulary.HEADLINES): each
verdict's headline in the verdict table. Styles use weight as well as colour,
so the line reads the same under NO_COLOR (vocabulary.headline_style).
"""

from __future__ import annotations

from dataclasses import dataclass

from torchlings.course import Exercise
from torchlings.engine import CheckResult, Status
from torchlings.learner.progress import Progress
from torchlings.learner.report import CHECK_MODIFIED_NOTE
from torchlings.vocabulary import HEADLINES, headline_for, word_for

STATUS_WORDS = HEADLINES
WARMING = "warming up the engine (importing torch)"
GONE = "the workspace folder is gone (deleted or moved away): nothing is checked or saved"
COMPILE_NOTE = "the first torch.compile can take up to 30 s"


@dataclass(frozen=True)
class StatusInputs:
    """Everything the status line depends on (all of it reactive state of the app)."""

    current: Exercise
    result: CheckResult | None
    progress: Progress | None
    checking: bool
    engine_ready: bool
    all_running: bool
    course_done: bool
    compile_seen: bool
    gone: bool = False  # the workspace folder was deleted while the screen ran


def status_line(s: StatusInputs) -> tuple[str, str]:
    """(first word, the rest) of the status line, put together from the result's fields."""
    if s.gone:
        return "error", GONE
    label = f"{s.current.label} {s.current.name}"
    if s.all_running:
        return "checking", "checking every exercise"
    if s.checking or s.result is None:
        rest = f"{label} …" if s.engine_ready else f"{WARMING}, then {label}"
        if s.current.uses_compile and not s.compile_seen:
            rest += f" ({COMPILE_NOTE})"
        return "checking", rest
    result = s.result
    word = headline_for(result.status)
    if result.status is Status.PASSED:
        verdict = f"{label} passes"
    elif result.status is Status.SKIPPED:
        verdict = f"{label} is not checked here: {result.skip_reason or 'not checked here'}"
    else:
        verdict = result.summary or word_for(result.status)
    # Right after the verdict, before "Press n": the ellipsis must not eat it.
    parts = [f"{verdict} ({CHECK_MODIFIED_NOTE})" if result.check_modified else verdict]
    following = s.progress.next if s.progress is not None else None
    if following is not None:
        parts.append(f"Press n for {following.label} {following.name}")
    elif word == "done" and s.course_done:
        parts.append("Every exercise is done")
    return word, ". ".join(parts)

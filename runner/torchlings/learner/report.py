"""Turning a CheckResult into what the learner reads.

One renderer for every surface: `run`, `verify` and the watch screen all show
a result through `render_result`, so they always say the same thing. It
returns a Rich renderable; the CLI prints it, the TUI puts it in a widget.

Everything from the course or the learner's code goes into `Text` objects,
never through Rich markup, so `x[mask]` is shown as `x[mask]`. Words and
styles come from `vocabulary`, error meanings from `translations`, the
layout of a failure's facts from its typed `details`.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from torchlings.checkapi import details as typed
from torchlings.checkapi.translations import translate
from torchlings.course import Exercise
from torchlings.engine import CheckResult, SourceLine, Status, TestOutcome
from torchlings.vocabulary import muted, paint, style_for, symbol_for, word_for

SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def display_path(path: str | Path, root: Path | None = None) -> str:
    """A path as the learner can type it from where their shell stands (the current folder).

    Relative to the current folder (with `..` where needed), or absolute when that
    is shorter. A relative `path` is taken from `root` (the workspace). Never
    relative to the workspace when the learner stands elsewhere: from a clone's
    root, `exercises/...` would name the shipped copy, not the learner's file.
    """
    path = Path(path)
    try:
        full = path if path.is_absolute() else (root or Path.cwd()) / path
        full = full.resolve()
        here = Path.cwd().resolve()
    except (OSError, RuntimeError):
        return str(path)
    relative = os.path.relpath(full, here)
    return relative if len(relative) <= len(str(full)) else str(full)


# Said next to a verdict judged by a check file the learner changed (`run`, the watch screen).
CHECK_MODIFIED_NOTE = "the check file was changed: not the course's verdict"


def headline(exercise: Exercise, result: CheckResult) -> Text:
    text = Text()
    text.append(f"{exercise.label} {exercise.name}  ", style="bold")
    text.append(f"{symbol_for(result.status)} {word_for(result.status)}",
                style=style_for(result.status))
    # Only a tally belongs here; what went wrong is the body's job.
    if result.summary and result.status in (Status.PASSED, Status.FAILED):
        text.append(f"  {result.summary}", style=muted())
    if result.check_modified:
        text.append(f"  ({CHECK_MODIFIED_NOTE})", style=paint("yellow", bold=True))
    return text


def render_result(
    exercise: Exercise,
    result: CheckResult,
    *,
    root: Path | None = None,
    verbose: bool = False,
    show_headline: bool = True,
) -> RenderableType:
    parts: list[RenderableType] = []
    if show_headline:
        parts.append(headline(exercise, result))
    if result.status is Status.PASSED:
        for note in result.notes:
            parts.append(Text(note, style=paint("green")))
        parts.extend(test_list(result))
    elif result.status is Status.SKIPPED:
        parts.append(Text(f"Not checked here: {result.skip_reason or 'no reason given'}",
                          style=paint("cyan")))
    else:
        failure = result.first_failure
        if result.problem is None:
            parts.extend(test_list(result))
        if failure is not None:
            parts.append(Text(""))
            parts.extend(render_failure(failure, result.status, root=root, verbose=verbose))
    if result.output.strip():
        parts.append(Text(""))
        parts.append(Text("What your code printed:", style="bold"))
        parts.append(Text(result.output.rstrip()[-4000:]))
    if result.output_truncated_bytes:
        parts.append(Text(f"... and {result.output_truncated_bytes:,} more bytes of output, "
                          "not shown.", style=muted()))
    return Group(*parts)


def test_list(result: CheckResult) -> list[RenderableType]:
    lines = []
    for test in result.tests:
        line = Text(f"  {symbol_for(test.outcome)} ", style=style_for(test.outcome, bold=False))
        line.append(test.doc or test.name.removeprefix("test_").replace("_", " "))
        if test.outcome in ("failed", "error"):
            line.stylize("bold")  # what the learner needs most is the most visible
        lines.append(line)
    return list(lines)


def render_failure(
    failure: TestOutcome, status: Status, *, root: Path | None, verbose: bool
) -> list[RenderableType]:
    detail = typed.from_dict(failure.details)
    parts = _not_done(failure, root) if status is Status.NOT_DONE else _failed(failure, detail)
    if failure.learner_line is not None:
        parts.append(Text(""))
        if failure.exc_type in SYNTAX_ERRORS:
            column = detail.column if isinstance(detail, typed.SyntaxPosition) else 0
            parts.extend(syntax_excerpt(failure.learner_line, column, root))
        else:
            parts.extend(source_excerpt(failure.learner_line, root))
    elif failure.check_line is not None and _raised_in_a_library(failure, status):
        parts.append(Text(""))
        parts.extend(_where_the_check_called(failure.check_line, root))
    if verbose and failure.traceback:
        parts.append(Text(""))
        parts.append(Text("Full traceback:", style="bold"))
        parts.append(Text(failure.traceback.rstrip(), style=muted()))
    if failure.output.strip():
        parts.append(Text("Printed during this test:", style="bold"))
        parts.append(Text(failure.output.rstrip()[-2000:]))
    return parts


def _not_done(failure: TestOutcome, root: Path | None) -> list[RenderableType]:
    title = Text("Not done yet", style=paint("yellow", bold=True))
    if failure.learner_line is not None:
        where = f"{display_path(failure.learner_line.path, root)}:{failure.learner_line.line}"
        title.append(f": {where}", style=paint("yellow"))
    parts: list[RenderableType] = [title]
    if failure.message and failure.message != "not done yet":
        parts.append(Text(failure.message))
    return parts


def _failed(failure: TestOutcome, detail: typed.Detail | None) -> list[RenderableType]:
    parts: list[RenderableType] = []
    if failure.doc or failure.name:
        parts.append(Text(failure.doc or f"While {failure.name}:", style="bold"))
    if isinstance(detail, typed.ValueMismatch) and detail.first and detail.headline:
        # The table says what the message's last sentence says, for more elements.
        parts.append(Text(detail.headline))
        parts.append(value_table(detail))
        if detail.concept:
            parts.append(Text(detail.concept))
    else:
        parts.append(Text(failure.message.rstrip()))
    suggestion = detail.suggestion if isinstance(detail, typed.Misspelling) else ""
    meaning = translate(failure.message, suggestion=suggestion)
    if meaning and meaning not in failure.message:
        parts.append(Text(f"→ {meaning}", style=paint("cyan")))
    return parts


def value_table(detail: typed.ValueMismatch) -> Table:
    """The first mismatched elements: where, what the code gave, what was expected."""
    table = Table(box=None, padding=(0, 2, 0, 2), show_edge=False)
    table.add_column("index", style=muted())
    table.add_column("yours", justify="right")
    table.add_column("expected", justify="right")
    if detail.tolerance != "exact":
        table.add_column("difference", justify="right", style=muted())
    for row in detail.first:
        cells = [Text(str(row.index) if row.index else "-"),
                 Text(_number(row.actual), style=paint("red")),
                 Text(_number(row.expected), style=paint("green"))]
        if detail.tolerance != "exact":
            cells.append(Text(_difference(row.actual, row.expected)))
        table.add_row(*cells)
    shown = len(detail.first)
    if detail.mismatched > shown:
        table.caption = f"the first {shown} of {detail.mismatched} that differ"
        table.caption_justify = "left"
    return table


def _number(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _difference(actual: object, expected: object) -> str:
    try:
        return f"{float(actual) - float(expected):+.3g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def source_excerpt(line: SourceLine, root: Path | None) -> list[RenderableType]:
    """The learner's line with a little context, as it was when the check ran."""
    label = Text(f"Your code, {display_path(line.path, root)}:{line.line}", style="bold")
    lines, start = line.excerpt, line.excerpt_start
    if not lines:
        lines, start = _excerpt_from_disk(line)
    width = len(str(start + len(lines) - 1))
    body = Text()
    for number, text in enumerate(lines, start=start):
        mine = number == line.line
        body.append("❱ " if mine else "  ", style=paint("red", bold=True) if mine else "none")
        body.append(f"{number:>{width}} ", style="bold" if mine else muted())
        body.append(text.rstrip(), style="bold" if mine else "none")
        body.append("\n")
    body.rstrip()
    return [label, body]


def _excerpt_from_disk(line: SourceLine, context: int = 2) -> tuple[list[str], int]:
    """For a result from a producer that did not capture the excerpt: the file as it is
    now, if its line still reads the same; else the one line the result carries."""
    try:
        source = Path(line.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return [line.text], line.line
    if not 1 <= line.line <= len(source) or source[line.line - 1].strip() != line.text.strip():
        return [line.text], line.line
    start = max(1, line.line - context)
    return source[start - 1: line.line + context], start


def syntax_excerpt(line: SourceLine, column: int, root: Path | None) -> list[RenderableType]:
    label = Text(f"Your code, {display_path(line.path, root)}:{line.line}", style="bold")
    prefix = f"  {line.line} │ "
    parts: list[RenderableType] = [label, Text(prefix + line.text.rstrip())]
    if column > 0:
        parts.append(Text(" " * (len(prefix) + column - 1) + "^", style=paint("red", bold=True)))
    return parts


def _raised_in_a_library(failure: TestOutcome, status: Status) -> bool:
    # A check's own expectation (CheckFailure, assert) is not an error of the
    # learner's code: its message already says what is wrong. Nor is a part not
    # attempted yet (an unanswered question, a TODO), whatever the overall status.
    return status is not Status.NOT_DONE and failure.exc_type not in (
        "", "CheckFailure", "AssertionError", "NotDone", "NotImplementedError", *SYNTAX_ERRORS)


def _where_the_check_called(line: SourceLine, root: Path | None) -> list[RenderableType]:
    # No frame of the learner's file: the error came from inside a library
    # (an nn.Sequential's layer, a torch function). The check's call is the
    # nearest line that can be known; it names the part of their code in use.
    return [
        Text("The error was raised inside PyTorch (or another library), not on a line of your "
             "file. The check was calling your code here:", style="bold"),
        Text(f"  {display_path(line.path, root)}:{line.line} │ {line.text.strip()}"),
        Text("Look at what that call uses from your file (for example the layers you put in "
             "an nn.Sequential).", style=muted()),
    ]


"""Turning a CheckResult into what the learner reads.

One renderer for every surface: `run`, `verify` and the watch screen all show
a result through `render_result`, so they always say the same thing. It
returns a Rich renderable; the CLI prints it, the TUI puts it in a widget.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from torchlings.course import Exercise
from torchlings.engine import CheckResult, SourceLine, Status, TestOutcome

STATUS_STYLE = {
    Status.PASSED: ("done", "bold green"),
    Status.FAILED: ("failing", "bold red"),
    Status.NOT_DONE: ("not done", "bold yellow"),
    Status.ERROR: ("error", "bold red"),
    Status.TIMEOUT: ("timeout", "bold magenta"),
    Status.CRASHED: ("crashed", "bold magenta"),
    Status.SKIPPED: ("skipped", "bold cyan"),
}

OUTCOME_MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("✗", "red"),
                "skipped": ("-", "cyan")}

# Python's message for the classic PyTorch errors, and what it means for the learner.
# (Running out of memory is explained by the engine itself, with the limit it set.)
TRANSLATIONS = [
    ("Expected all tensors to be on the same device",
     "Two tensors in one operation live on different devices: move them with .to(device)."),
    ("does not require grad and does not have a grad_fn",
     "backward() reached a tensor autograd never tracked: a leaf without requires_grad=True, "
     "or a graph cut by detach(), no_grad() or .item()."),
    ("Trying to backward through the graph a second time",
     "backward() frees the graph it walked. For a second backward, compute the forward "
     "pass again, add the losses and call backward once, or keep the graph with "
     "retain_graph=True on the first backward."),
    ("modified by an inplace operation",
     "An in-place operation (x += 1, x.add_(), x[i] = ...) changed a tensor autograd had "
     "saved for backward; use an out-of-place version (x = x + 1)."),
    ("expected scalar type Long",
     "This operation wants int64 indices or class labels: use .long() on the targets."),
    ("view size is not compatible with input tensor's size and stride",
     "view() needs contiguous memory; use reshape(), or call .contiguous() first."),
    ("grad can be implicitly created only for scalar outputs",
     "backward() without arguments needs a single number: reduce with .sum() or .mean(), "
     "or pass gradient=."),
    ("mat1 and mat2 shapes cannot be multiplied",
     "A matrix product got inner sizes that differ: check in_features against the last "
     "dimension of the input."),
]


_IMPORT_NAME = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
_NO_MODULE = re.compile(r"No module named '([^']+)'")
_NO_ATTRIBUTE = re.compile(r"module '([^']+)' has no attribute '([^']+)'")


def translate(message: str) -> str | None:
    """One line that says what a Python or PyTorch error means for the learner."""
    for needle, meaning in TRANSLATIONS:
        if needle in message:
            return meaning
    if match := _IMPORT_NAME.search(message):
        return (f"Your file imports {match[1]!r} from {match[2]!r}, which has no such name: "
                "check the spelling, or where that name really lives.")
    if match := _NO_MODULE.search(message):
        return f"There is no module called {match[1]!r}: check the spelling of the import."
    if match := _NO_ATTRIBUTE.search(message):
        return f"{match[1]!r} has no attribute {match[2]!r}: check the spelling."
    return None


def display_path(path: str | Path, root: Path | None) -> str:
    path = Path(path)
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def headline(exercise: Exercise, result: CheckResult) -> Text:
    word, style = STATUS_STYLE[result.status]
    text = Text()
    text.append(f"{exercise.label} {exercise.name}  ", style="bold")
    text.append(word, style=style)
    # Only a tally belongs here; what went wrong is the body's job.
    if result.summary and result.status in (Status.PASSED, Status.FAILED):
        text.append(f"  {result.summary}", style="dim")
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
            parts.append(Text(note, style="green"))
        parts.extend(_test_list(result))
    elif result.status is Status.SKIPPED:
        parts.append(Text(f"Not checked here: {result.summary.removeprefix('skipped: ')}",
                          style="cyan"))
    else:
        failure = result.first_failure
        if result.problem is None:
            parts.extend(_test_list(result))
        if failure is not None:
            parts.append(Text(""))
            parts.extend(render_failure(failure, result.status, root=root, verbose=verbose))
    if result.output.strip():
        parts.append(Text(""))
        parts.append(Text("What your code printed:", style="bold"))
        parts.append(Text(result.output.rstrip()[-4000:]))
    if result.output_truncated_bytes:
        parts.append(Text(f"... and {result.output_truncated_bytes:,} more bytes of output, "
                          "not shown.", style="dim"))
    return Group(*parts)


def _test_list(result: CheckResult) -> list[RenderableType]:
    lines = []
    for test in result.tests:
        mark, style = OUTCOME_MARK.get(test.outcome, ("?", "white"))
        line = Text(f"  {mark} ", style=style)
        line.append(test.doc or test.name.removeprefix("test_").replace("_", " "))
        lines.append(line)
    return lines


def render_failure(
    failure: TestOutcome, status: Status, *, root: Path | None, verbose: bool
) -> list[RenderableType]:
    parts: list[RenderableType] = []
    if status is Status.NOT_DONE:
        where = ""
        if failure.learner_line is not None:
            where = (f"{display_path(failure.learner_line.path, root)}:"
                     f"{failure.learner_line.line}")
        title = Text("Not done yet", style="bold yellow")
        if where:
            title.append(f": {where}", style="yellow")
        parts.append(title)
        if failure.message and failure.message != "not done yet":
            parts.append(Text(failure.message))
    else:
        title = Text()
        if failure.doc or failure.name:
            title.append(failure.doc or f"While {failure.name}:", style="bold")
        parts.append(title)
        parts.append(Text(failure.message.rstrip()))
        comparison = _comparison(failure.details)
        if comparison is not None:
            parts.append(comparison)
        meaning = translate(failure.message)
        if meaning:
            parts.append(Text(f"→ {meaning}", style="italic cyan"))
    if failure.learner_line is not None:
        parts.append(Text(""))
        if failure.exc_type in ("SyntaxError", "IndentationError", "TabError"):
            parts.extend(_syntax_excerpt(failure, root))
        else:
            parts.extend(_source_excerpt(failure.learner_line, root))
    if verbose and failure.traceback:
        parts.append(Text(""))
        parts.append(Text("Full traceback:", style="bold dim"))
        parts.append(Text(failure.traceback.rstrip(), style="dim"))
    if failure.output.strip():
        parts.append(Text("Printed during this test:", style="bold"))
        parts.append(Text(failure.output.rstrip()[-2000:]))
    return parts


def _source_excerpt(line: SourceLine, root: Path | None, context: int = 2) -> list[RenderableType]:
    label = Text(f"Your code, {display_path(line.path, root)}:{line.line}", style="bold")
    try:
        source = Path(line.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [label, Text(f"  {line.line} │ {line.text}")]
    total = len(source.splitlines())
    if not 1 <= line.line <= total:
        return [label, Text(f"  {line.line} │ {line.text}")]
    start = max(1, line.line - context)
    end = min(total, line.line + context)
    syntax = Syntax(
        source,
        "python",
        line_numbers=True,
        line_range=(start, end),
        highlight_lines={line.line},
        theme="ansi_dark",
        word_wrap=True,
    )
    return [label, syntax]


_COMPARED = {"shape": "shape", "dtype": "dtype", "device": "device",
             "requires_grad": "requires_grad", "grad_fn": "grad_fn"}


def _comparison(details: dict) -> RenderableType | None:
    """Expected and actual side by side, for the properties a tensor can get wrong."""
    kind = details.get("kind")
    if kind not in _COMPARED or "expected" not in details or "actual" not in details:
        return None

    def show(value: object) -> str:
        if kind == "shape" and isinstance(value, list):
            return "(" + ", ".join(map(str, value)) + (",)" if len(value) == 1 else ")")
        return str(value)

    table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
    table.add_column(style="dim")
    table.add_column()
    table.add_row(f"expected {_COMPARED[kind]}", Text(show(details["expected"]), style="green"))
    table.add_row(f"actual {_COMPARED[kind]}", Text(show(details["actual"]), style="red"))
    return table


def _syntax_excerpt(failure: TestOutcome, root: Path | None) -> list[RenderableType]:
    line = failure.learner_line
    assert line is not None
    column = int(failure.details.get("column") or 0)
    label = Text(f"Your code, {display_path(line.path, root)}:{line.line}", style="bold")
    prefix = f"  {line.line} │ "
    parts: list[RenderableType] = [label, Text(prefix + line.text.rstrip())]
    if column > 0:
        parts.append(Text(" " * (len(prefix) + column - 1) + "^", style="bold red"))
    return parts


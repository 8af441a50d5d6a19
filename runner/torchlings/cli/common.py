"""What every command shares: the console, errors, the workspace, the engine.

Consoles here never read Rich markup: text from the course (a hint about
`x[mask]`) or from a learner's program is printed as it is. Styles are given
as `style=` or inside `Text`, and come from `vocabulary`, so NO_COLOR and
TERM=dumb get weight and symbols, never dim grey.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from rich.console import Console
from rich.text import Text

from torchlings.course import Course, CourseError, Exercise
from torchlings.engine import Engine, make_engine
from torchlings.learner.workspace import Workspace
from torchlings.vocabulary import paint

EXIT_OK, EXIT_PENDING, EXIT_USAGE = 0, 1, 2

# The order `--help` lists them in: a learner's day first, the course author's tools last.
LEARNER_COMMANDS = ("watch", "run", "hint", "list", "verify", "reset", "solution", "init",
                    "update", "help")


class CourseGroup(click.Group):
    """Lists commands in the order they are used, each with its whole first sentence."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = list(self.commands)
        return sorted(names, key=lambda n: LEARNER_COMMANDS.index(n)
                      if n in LEARNER_COMMANDS else len(LEARNER_COMMANDS))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            title = "Commands" if name in LEARNER_COMMANDS or self.name != "cli" else \
                "For course authors"
            sections.setdefault(title, []).append((name, command.get_short_help_str(limit=500)))
        for title, rows in sections.items():
            with formatter.section(title):
                formatter.write_dl(rows)


def is_dumb_terminal() -> bool:
    return os.environ.get("TERM", "") in ("dumb", "unknown")


def console(stderr: bool = False) -> Console:
    # Rich already honours NO_COLOR and writes plain text when not a terminal;
    # there it must not wrap either, or a pipe or a log gets lines cut at 80.
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False,
                   soft_wrap=not stream.isatty())


def labelled(label: str, colour: str, message: str) -> Text:
    """`label: message` with only the label styled; the message is never markup."""
    text = Text(f"{label}: ", style=paint(colour, bold=True))
    text.append(message)
    return text


def die(message: str, code: int = EXIT_USAGE) -> NoReturn:
    console(stderr=True).print(labelled("error", "red", message))
    sys.exit(code)


def warn(message: str) -> None:
    console(stderr=True).print(labelled("warning", "yellow", message))


def open_workspace() -> Workspace:
    try:
        workspace = Workspace.open()
    except CourseError as exc:
        die(str(exc))
    if workspace.note:
        console(stderr=True).print(labelled("note", "cyan", workspace.note))
    shown = 0

    def show_new_warnings() -> None:
        # Loading can warn (a damaged progress file), and so can saving (a
        # read-only folder), which happens later: show each warning once.
        nonlocal shown
        for warning in workspace.warnings[shown:]:
            warn(warning)
        shown = len(workspace.warnings)

    show_new_warnings()
    click.get_current_context().call_on_close(show_new_warnings)
    return workspace


def resolve(course: Course, key: str) -> Exercise:
    try:
        return course.resolve(key)
    except CourseError as exc:
        die(str(exc))


@contextmanager
def engine_for(no_warm: bool, one_shot: bool = False) -> Iterator[Engine]:
    """An engine for this command; `one_shot` when it makes a single check (no warm worker)."""
    engine = make_engine(warm=not no_warm, one_shot=one_shot)
    try:
        yield engine
    finally:
        engine.close()


no_warm_option = click.option(
    "--no-warm", is_flag=True, help="Start a fresh Python for every check (slower)."
)

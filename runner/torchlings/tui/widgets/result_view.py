"""The verdict in full: the failure as the learner needs it, what their code printed,
and on a pass the reference solution to compare with. Scrolls; says when there is more."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from torchlings.engine import Status
from torchlings.learner.report import CHECK_MODIFIED_NOTE, render_result
from torchlings.tui.prose import reflow
from torchlings.tui.widgets.app_access import AppAccess
from torchlings.vocabulary import counts_as_done


class Uncoloured:
    """Draws a renderable with its colours removed, keeping weight, italics and symbols.

    Under NO_COLOR a red ✗ or ❱ turned grey becomes nearly invisible on a dark
    background; without colour it is drawn in the text's own colour instead.
    """

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.renderable, options.update(height=None), pad=False)
        for line in lines:
            yield from Segment.remove_color(line)
            yield Segment.line()


DrawnLines = dict[object, list[list[Segment]]]  # by text, width and colours


class DrawnOnce:
    """A renderable drawn once per width, then repeated from memory.

    The reference solution shown after a pass is syntax-highlighted, and a
    redraw highlights it several times over (to measure the view, then to
    paint it): the slowest part of putting "done" on the screen. Its lines
    depend only on the text and the width, so they are kept (in `memory`,
    which the view holds across checks) and drawn again from there.
    """

    def __init__(self, renderable: RenderableType, key: object, memory: DrawnLines) -> None:
        self.renderable, self.key, self.memory = renderable, key, memory

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (self.key, options.max_width, console.color_system, console.no_color)
        lines = self.memory.get(key)
        if lines is None:
            if len(self.memory) > 16:
                self.memory.clear()
            lines = console.render_lines(self.renderable, options.update(height=None), pad=False)
            self.memory[key] = lines
        for line in lines:
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


class ResultView(AppAccess, VerticalScroll):
    hidden_lines: reactive[int] = reactive(0)  # how much of the verdict is below the view

    def compose(self) -> ComposeResult:
        self._drawn: DrawnLines = {}  # DrawnOnce's lines, kept from one check to the next
        yield Static(id="result")

    def on_mount(self) -> None:
        self.watch(self, "scroll_y", lambda: self._measure(), init=False)
        self.watch(self, "virtual_size", lambda: self._measure(), init=False)
        self.watch_app(self._draw, "current", "result", "solution", "gone")

    def on_resize(self) -> None:
        self._measure()

    def _measure(self) -> None:
        self.hidden_lines = max(0, self.max_scroll_y - round(self.scroll_y))

    def _draw(self) -> None:
        view = self._view()
        self.query_one("#result", Static).update(Uncoloured(view) if self.app.no_color else view)
        self.scroll_home(animate=False)

    def _view(self) -> RenderableType:
        app = self.tapp
        result = app.result
        if app.gone:
            return Text(f"{app.gone}\n\nPress q to quit.", style="bold")
        if result is None:
            welcome = app.workspace.course.welcome
            if app.workspace.done_count == 0 and welcome:
                return Text(reflow(welcome))
            return Text("")
        body = render_result(app.current, result, root=app.workspace.root, show_headline=False)
        parts: list[RenderableType] = []
        if not counts_as_done(result.status) and result.first_failure is None:
            # Nothing per test to show (a timeout, a crash): the summary is the story.
            parts.append(Text(result.summary or result.status.value, style="bold"))
        if result.check_modified:
            # Also in the status line, where a narrow terminal may cut it off.
            parts.append(Text(f"{CHECK_MODIFIED_NOTE.capitalize()}.", style="bold"))
        parts.append(body)
        if result.status is Status.PASSED:
            parts.extend(self._solution())
        return Group(*parts)

    def _solution(self) -> list[RenderableType]:
        """The reference solution, to compare with (as rustlings does after a pass).

        Read by the app's worker (it may take a `git show`) and handed in as
        `app.solution`: drawing never touches a file.
        """
        solution = self.tapp.solution
        if solution is None or solution.exercise != self.tapp.current:
            return []
        exercise = solution.exercise
        title = Text("\nCompare with the reference solution", style="bold")
        if solution.local is not None:
            title.append(", ")
            title.append(str(exercise.solution_rel),
                         style=Style(underline=True, link=solution.local.as_uri()))
        title.append(":")
        code = solution.text.rstrip()
        syntax = Syntax(code, "python", theme="ansi_dark", line_numbers=True, word_wrap=True)
        return [title, DrawnOnce(syntax, code, self._drawn)]


class MoreBelow(AppAccess, Static):
    """A sign under the result when part of it is out of view (e.g. hints opened)."""

    def on_mount(self) -> None:
        self.watch(self.screen.query_one(ResultView), "hidden_lines", self._draw)

    def _draw(self, hidden: int) -> None:
        self.display = hidden > 0
        if hidden > 0:
            self.update(Text(f"▼ {hidden} more line(s) below: scroll or press PageDown",
                             style="bold"))

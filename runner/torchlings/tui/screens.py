"""The screens: watch (the home), the exercise list, check-all, and a yes/no question.

Screens draw the app's state and turn keys into calls on the app
(`TorchlingsApp` in app.py); they hold no progress of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static

from torchlings.course import Exercise
from torchlings.engine import CheckResult, Status
from torchlings.report import render_result
from torchlings.tui.widgets import WORD_STYLE, SeriesPanel, progress_text, status_word_for

if TYPE_CHECKING:
    from torchlings.tui.app import TorchlingsApp


class _AppAccess:
    """The torchlings app, typed, for the screens and widgets that drive it."""

    @property
    def tapp(self) -> TorchlingsApp:
        return self.app  # type: ignore[attr-defined,return-value]


class HeaderBar(_AppAccess, Widget):
    """Progress bar with done/total and the watch mode; then the current exercise."""

    DEFAULT_CSS = "HeaderBar { height: 2; }"

    def render(self) -> RenderableType:
        app = self.tapp
        workspace = app.workspace
        total = len(workspace.course.exercises)
        done = workspace.done_count
        width = self.size.width or 80
        count = f" {done}/{total} done"
        mode = f"  {app.mode.describe()}"
        bar_width = max(4, width - len(count) - len(mode))
        if bar_width < 10:  # very narrow: drop the mode before the bar
            mode = ""
            bar_width = max(4, width - len(count))
        line = progress_text(done, total, bar_width)
        line.append(count, style="bold")
        line.append(mode, style="dim")
        exercise = app.current
        path = workspace.exercise_path(exercise)
        second = Text()
        second.append(f"{exercise.label}/{total:02d} ", style="bold")
        second.append(exercise.name, style="bold")
        second.append("  ")
        # An OSC 8 link: terminals that support it open the file on (ctrl/cmd-)click.
        second.append(str(exercise.exercise_rel),
                      style=Style(color="cyan", underline=True, link=path.as_uri()))
        line.append("\n")
        line.append_text(second)
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

    def on_click(self, event: events.Click) -> None:
        if event.y == 1:  # a click on the path opens the exercise
            self.tapp.open_editor()


class WatchScreen(_AppAccess, Screen[None]):
    ready = False  # set once mounted (Screen.is_mounted stays False here)

    BINDINGS = [
        Binding("n", "next", "next"),
        Binding("h", "hint", "hint"),
        Binding("r", "rerun", "re-run"),
        Binding("l", "list", "list"),
        Binding("x", "reset", "reset"),
        Binding("c", "check_all", "check all"),
        Binding("e", "edit", "edit"),
        Binding("q", "quit", "quit"),
    ]

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        yield Static(id="status")
        with Horizontal(id="body"):
            with VerticalScroll(id="result-scroll"):
                yield Static(id="result")
            yield SeriesPanel(id="series")
        yield Static(id="hints")
        yield Footer()

    def on_mount(self) -> None:
        self.ready = True
        self.query_one("#result-scroll").focus()
        self.refresh_view()

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app = self.tapp
        self.query_one(HeaderBar).refresh()
        word, rest = app.status()
        status = Text(word, style=WORD_STYLE[word])
        if rest:
            status.append(f" — {rest}")
        status.no_wrap = True
        status.overflow = "ellipsis"
        self.query_one("#status", Static).update(status)
        self.query_one("#status").set_classes(f"status-{word}")
        self.query_one("#result", Static).update(self._result_view())
        series = app.result.series if app.result is not None else {}
        self.query_one(SeriesPanel).show(series)
        hints = self.query_one("#hints", Static)
        hints.display = app.hints_shown > 0
        if app.hints_shown:
            hints.update(self._hints_view())
        self.refresh_bindings()

    def _result_view(self) -> RenderableType:
        app = self.tapp
        if app.result is None:
            welcome = app.workspace.course.welcome
            if app.workspace.done_count == 0 and welcome:
                return Text(welcome, style="dim")
            return Text("")
        result = app.result
        body = render_result(app.current, result, root=app.workspace.root, show_headline=False)
        if result.status not in (Status.PASSED, Status.SKIPPED) and result.first_failure is None:
            # Nothing per test to show (a timeout, a crash): the summary is the story.
            return Group(Text(result.summary or result.status.value, style="bold"), body)
        return body

    def _hints_view(self) -> RenderableType:
        app = self.tapp
        hints = app.current.hints
        text = Text()
        for index, hint in enumerate(hints[: app.hints_shown], start=1):
            if index > 1:
                text.append("\n")
            text.append(f"Hint {index} of {len(hints)}: ", style="bold")
            text.append(hint)
        if app.hints_shown >= len(hints):
            text.append("\nNo more hints.", style="dim")
        return text

    # --- keys ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        app = self.tapp
        if action == "next":
            return app.passed and app.next_exercise is not None
        if action == "hint":
            return bool(app.current.hints)
        return True

    def action_next(self) -> None:
        self.tapp.go_next()

    def action_hint(self) -> None:
        if not self.tapp.reveal_hint():
            self.notify("That was the last hint.")

    def action_rerun(self) -> None:
        self.tapp.request_check()

    def action_list(self) -> None:
        def chosen(exercise: Exercise | None) -> None:
            if exercise is not None:
                self.tapp.switch_to(exercise)
            self.refresh_view()

        self.app.push_screen(ListScreen(), chosen)

    def action_reset(self) -> None:
        exercise = self.tapp.current
        confirm_reset(self.tapp, exercise)

    def action_check_all(self) -> None:
        self.tapp.check_all()

    def action_edit(self) -> None:
        self.tapp.open_editor()

    def action_quit(self) -> None:
        self.app.exit()


def confirm_reset(app: TorchlingsApp, exercise: Exercise,
                  then: Callable[[], None] | None = None) -> None:
    """Ask before resetting; `then` runs after the answer (the list redraws itself)."""

    def answered(yes: bool | None) -> None:
        if yes:
            app.reset(exercise)
        if then is not None:
            then()

    question = (f"Reset {exercise.label} {exercise.name}?\n"
                f"{exercise.exercise_rel} goes back to the shipped version; "
                "your file is kept in .torchlings/backups.")
    app.push_screen(ConfirmScreen(question), answered)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question", markup=False)
            yield Static(Text.assemble(("y", "bold"), " yes    ", ("n", "bold"), " no"),
                         id="answers")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ListScreen(_AppAccess, Screen[Exercise | None]):
    BINDINGS = [
        Binding("j", "move(1)", "down", show=False),
        Binding("k", "move(-1)", "up", show=False),
        Binding("enter", "choose", "make current", priority=True),
        Binding("slash", "search", "search"),
        Binding("d", "filter('done')", "done"),
        Binding("p", "filter('pending')", "pending"),
        Binding("a", "filter('all')", "all"),
        Binding("x", "reset", "reset"),
        Binding("escape,q", "back", "back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show = "all"
        self.search = ""

    def compose(self) -> ComposeResult:
        yield Static(id="list-title")
        table: DataTable = DataTable(id="exercises", cursor_type="row", zebra_stripes=True)
        yield table
        yield Input(placeholder="search by name (Enter keeps it, Esc clears)", id="search")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("#", key="number")
        table.add_column("name", key="name")
        table.add_column("status", key="status")
        table.add_column("path", key="path")
        self.query_one("#search").display = False
        self.fill(select=self.tapp.current.name)
        table.focus()

    def rows(self) -> list[Exercise]:
        workspace = self.tapp.workspace
        chosen = []
        for exercise in workspace.course.exercises:
            done = workspace.is_done(exercise)
            if self.show == "done" and not done or self.show == "pending" and done:
                continue
            if self.search and self.search.lower() not in exercise.name.lower():
                continue
            chosen.append(exercise)
        return chosen

    def fill(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        if select is None and table.row_count:
            try:
                select = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:
                select = None
        table.clear()
        workspace = self.tapp.workspace
        current = self.tapp.current
        for exercise in self.rows():
            if exercise == current:
                status = Text("current", style="bold cyan")
            elif workspace.is_done(exercise):
                status = Text("done", style="green")
            else:
                status = Text("pending", style="yellow")
            table.add_row(exercise.label, exercise.name, status, str(exercise.exercise_rel),
                          key=exercise.name)
        if select is not None:
            try:
                table.move_cursor(row=table.get_row_index(select))
            except Exception:
                pass
        done = workspace.done_count
        total = len(workspace.course.exercises)
        title = Text(f"Exercises: {done} of {total} done", style="bold")
        title.append(f"   showing {self.show}", style="dim")
        if self.search:
            title.append(f", names with {self.search!r}", style="dim")
        if not table.row_count:
            title.append("   (nothing matches)", style="yellow")
        self.query_one("#list-title", Static).update(title)

    def selected(self) -> Exercise | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.tapp.workspace.course.by_name(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":  # Enter in the search box keeps the search instead
            return not self.query_one("#search", Input).has_focus
        return True

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.focus()
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_choose(self) -> None:
        exercise = self.selected()
        if exercise is not None:
            self.dismiss(exercise)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        self.fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()
        if not self.search:
            event.input.display = False

    def action_filter(self, show: str) -> None:
        self.show = show
        self.fill()

    def action_reset(self) -> None:
        exercise = self.selected()
        if exercise is not None:
            confirm_reset(self.tapp, exercise, then=self.fill)

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            search.value = ""
            search.display = False
            self.search = ""
            self.fill()
            self.query_one(DataTable).focus()
            return
        self.dismiss(None)


class CheckAllScreen(_AppAccess, Screen[Exercise | None]):
    """Every exercise checked, each one's progress shown; the summary stays until a key."""

    BINDINGS = [Binding("escape,q", "stop", "stop")]

    def __init__(self, exercises: list[Exercise], final: bool = False) -> None:
        super().__init__()
        self.exercises = exercises
        self.final = final
        self.results: dict[int, CheckResult] = {}
        self.finished = False
        self.cancel = threading.Event()
        self.ready = False  # set once mounted (Screen.is_mounted stays False here)
        self.running: set[int] = set()
        self.cancelled = False
        self.final_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="all-title")
        yield DataTable(id="all-table", cursor_type="none", zebra_stripes=True)
        yield Static(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.ready = True
        title = ("The last exercise passed: checking every exercise once more"
                 if self.final else "Checking every exercise")
        self.query_one("#all-title", Static).update(Text(title, style="bold"))
        table = self.query_one(DataTable)
        table.add_column("#", key="number")
        table.add_column("name", key="name")
        # Fixed widths: cells fill in later and must not be cut short.
        table.add_column("status", key="status", width=9)
        table.add_column("time", key="time", width=7)
        for index, exercise in enumerate(self.exercises):
            table.add_row(exercise.label, exercise.name, Text("waiting", style="dim"), "",
                          key=str(index))
            self._draw_row(index)  # checks may have begun before the screen was up
        self._draw_summary()

    def started(self, index: int) -> None:
        self.running.add(index)
        if self.ready:
            self._draw_row(index)

    def record(self, index: int, result: CheckResult) -> None:
        self.running.discard(index)
        self.results[index] = result
        if self.ready:
            self._draw_row(index)
            self.query_one(DataTable).move_cursor(row=index)
            self._draw_summary()

    def _draw_row(self, index: int) -> None:
        table = self.query_one(DataTable)
        result = self.results.get(index)
        if result is None:
            if index in self.running:
                table.update_cell(str(index), "status",
                                  Text("checking", style=WORD_STYLE["checking"]))
            return
        word = status_word_for(result)
        label = "skipped" if result.status is Status.SKIPPED else word
        table.update_cell(str(index), "status", Text(label, style=WORD_STYLE[word]))
        table.update_cell(str(index), "time", f"{result.seconds:.1f} s")

    def failing(self) -> list[tuple[Exercise, CheckResult]]:
        return [(self.exercises[i], r) for i, r in sorted(self.results.items())
                if r.status not in (Status.PASSED, Status.SKIPPED)]

    def finish(self, cancelled: bool, final_text: str) -> None:
        self.finished = True
        self.cancelled = cancelled
        self.final_text = final_text
        if self.ready:
            self._draw_summary()
            self.refresh_bindings()

    def _draw_summary(self) -> None:
        total = len(self.exercises)
        if not self.finished:
            line = progress_text(len(self.results), total, 30)
            line.append(f" {len(self.results)}/{total} checked", style="bold")
            if self.cancel.is_set():
                line.append("   stopping after the checks in flight…", style="yellow")
            self.query_one("#summary", Static).update(line)
            return
        passed = sum(r.status in (Status.PASSED, Status.SKIPPED) for r in self.results.values())
        text = Text()
        if self.cancelled:
            text.append(f"Stopped: {len(self.results)} of {total} checked, {passed} pass.\n",
                        style="bold yellow")
        else:
            text.append(f"{passed} of {total} exercises pass.\n",
                        style="bold green" if passed == total else "bold")
        failing = self.failing()
        if failing:
            text.append("Still to do: ", style="bold")
            text.append(", ".join(f"{e.label} {e.name} ({status_word_for(r)})"
                                  for e, r in failing))
            text.append("\n")
        if self.final and not self.cancelled and passed == total and self.final_text:
            text.append(f"\n{self.final_text}\n", style="bold green")
        text.append("\nPress any key to return.", style="dim")
        self.query_one("#summary", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return not self.finished
        return True

    def action_stop(self) -> None:
        if not self.finished:
            self.cancel.set()
            if self.ready:
                self._draw_summary()

    def on_key(self, event: events.Key) -> None:
        if self.finished:
            event.stop()
            event.prevent_default()
            failing = self.failing()
            self.dismiss(failing[0][0] if self.final and failing else None)

"""Check every exercise: a row each, a progress bar, then a summary that stays until
the learner goes back (Esc, Enter or q). It scrolls; PageDown never dismisses it."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from torchlings.course import Exercise
from torchlings.engine import CheckResult, Status
from torchlings.tui.prose import reflow
from torchlings.tui.status import WORD_STYLE, status_word_for
from torchlings.tui.widgets.app_access import AppAccess

SHOWN_BY_NAME = 4  # more than this many to do: counts and the first few, not a wall of names


def still_to_do(failing: list[tuple[Exercise, CheckResult]]) -> str:
    """`02 a (failing), 05 b (error)`; for many, how many of each and the first ones."""
    named = [f"{e.label} {e.name} ({status_word_for(r)})" for e, r in failing]
    if len(named) <= SHOWN_BY_NAME:
        return ", ".join(named)
    words = Counter(status_word_for(r) for _, r in failing)
    counts = ", ".join(f"{n} {word}" for word, n in words.most_common())
    return (f"{len(failing)} exercises ({counts}); the first: {', '.join(named[:3])}. "
            "The table above has each one.")


class CheckAllScreen(AppAccess, Screen[Exercise | None]):
    BINDINGS = [
        Binding("escape", "stop", "stop"),
        Binding("escape,q", "back", "back", key_display="esc"),
        Binding("enter", "back", "back", show=False, priority=True),  # before the table's Enter
    ]

    def __init__(self, exercises: list[Exercise], final: bool = False) -> None:
        super().__init__()
        self.exercises = exercises
        self.final = final

    @property
    def finished(self) -> bool:
        return self.tapp.all_state in ("finished", "stopped")

    def compose(self) -> ComposeResult:
        title = ("Nothing else is pending: checking every exercise once more"
                 if self.final else "Checking every exercise")
        yield Static(Text(title, style="bold"), id="all-title")
        yield ProgressBar(total=len(self.exercises), show_eta=False, id="all-progress")
        yield DataTable(id="all-table", cursor_type="none", zebra_stripes=True)
        with VerticalScroll(id="summary-scroll"):
            yield Static(id="summary")
        yield Static(id="back-hint")  # outside the scroll: the way back is always in view
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("#", key="number")
        table.add_column("name", key="name")
        # Fixed widths: cells fill in later and must not be cut short.
        table.add_column("status", key="status", width=9)
        table.add_column("time", key="time", width=7)
        for index, exercise in enumerate(self.exercises):
            table.add_row(exercise.label, exercise.name, Text("waiting", style="italic"), "",
                          key=str(index))
        table.focus()  # PageDown and the arrows scroll the rows
        self.watch_app(self._draw_rows, "all_results")
        self.watch_app(self._draw_summary, "all_state", "all_results", "course_result")

    def _draw_rows(self) -> None:
        table = self.query_one(DataTable)
        results = self.tapp.all_results
        for index, result in results.items():
            word = status_word_for(result)
            label = "skipped" if result.status is Status.SKIPPED else word
            table.update_cell(str(index), "status", Text(label, style=WORD_STYLE[word]))
            table.update_cell(str(index), "time", f"{result.seconds:.1f} s")
        self.query_one(ProgressBar).update(progress=len(results))

    def failing(self) -> list[tuple[Exercise, CheckResult]]:
        return [(self.exercises[i], r) for i, r in sorted(self.tapp.all_results.items())
                if r.status not in (Status.PASSED, Status.SKIPPED)]

    def _draw_summary(self) -> None:
        app = self.tapp
        results = app.all_results
        total = len(self.exercises)
        summary = self.query_one("#summary", Static)
        self.refresh_bindings()
        if not self.finished:
            line = Text(f"{len(results)}/{total} checked", style="bold")
            if app.all_state == "stopping":
                line.append("   stopping after the checks in flight…", style="bold yellow")
            summary.update(line)
            return
        passed = sum(r.status in (Status.PASSED, Status.SKIPPED) for r in results.values())
        text = Text()
        if app.all_state == "stopped":
            text.append(f"Stopped: {len(results)} of {total} checked, {passed} pass.\n",
                        style="bold yellow")
        else:
            text.append(f"{passed} of {total} exercises pass.\n",
                        style="bold green" if passed == total else "bold")
        failing = self.failing()
        if failing:
            text.append("Still to do: ", style="bold")
            text.append(still_to_do(failing))
            text.append("\n")
        course = app.course_result
        if self.final and course is not None and course.complete:
            text.append(f"\n{reflow(app.workspace.course.final)}\n", style="bold green")
        text.rstrip()
        summary.update(text)
        self.query_one("#back-hint", Static).update(
            Text("Press Esc or Enter to go back.", style="bold"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return not self.finished
        if action == "back":
            return self.finished
        return True

    def action_stop(self) -> None:
        self.tapp.stop_check_all()

    def action_back(self) -> None:
        course = self.tapp.course_result
        first = course.first_failing if self.final and course is not None else None
        self.dismiss(first)

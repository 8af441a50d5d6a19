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
from torchlings.engine import CheckResult
from torchlings.tui.prose import reflow
from torchlings.tui.state import CheckAllRun
from torchlings.tui.widgets.app_access import AppAccess
from torchlings.vocabulary import counts_as_done, style_for, symbol_for, word_for

SHOWN_BY_NAME = 4  # more than this many to do: counts and the first few, not a wall of names


def still_to_do(failing: list[tuple[Exercise, CheckResult]]) -> str:
    """`02 a (failing), 05 b (error)`; for many, how many of each and the first ones."""
    named = [f"{e.label} {e.name} ({word_for(r.status)})" for e, r in failing]
    if len(named) <= SHOWN_BY_NAME:
        return ", ".join(named)
    words = Counter(word_for(r.status) for _, r in failing)
    counts = ", ".join(f"{n} {word}" for word, n in words.most_common())
    return (f"{len(failing)} exercises ({counts}); the first: {', '.join(named[:3])}. "
            "The table above has each one.")


class CheckAllScreen(AppAccess, Screen[None]):
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
    def run(self) -> CheckAllRun:
        """The run this screen shows: the app's latest, started with the screen."""
        run = self.tapp.check_all_run
        assert run is not None, "the check-all screen opens with its run"
        return run

    @property
    def finished(self) -> bool:
        return self.run.finished

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
        table.add_column("status", key="status", width=12)
        table.add_column("time", key="time", width=7)
        for index, exercise in enumerate(self.exercises):
            table.add_row(exercise.label, exercise.name, Text("waiting", style="italic"), "",
                          key=str(index))
        table.focus()  # PageDown and the arrows scroll the rows
        self.watch_app(self._draw_rows, "check_all_run")
        self.watch_app(self._draw_summary, "check_all_run")

    def _draw_rows(self) -> None:
        table = self.query_one(DataTable)
        results = self.run.results
        for index, result in results.items():
            # The same word, symbol and style as `torchlings verify` prints.
            label = f"{symbol_for(result.status)} {word_for(result.status)}"
            table.update_cell(str(index), "status", Text(label, style=style_for(result.status)))
            table.update_cell(str(index), "time", f"{result.seconds:.1f} s")
        self.query_one(ProgressBar).update(progress=len(results))

    def failing(self) -> list[tuple[Exercise, CheckResult]]:
        return [(self.exercises[i], r) for i, r in sorted(self.run.results.items())
                if not counts_as_done(r.status)]

    def _draw_summary(self) -> None:
        app = self.tapp
        run = self.run
        results = run.results
        total = len(self.exercises)
        summary = self.query_one("#summary", Static)
        self.refresh_bindings()
        if not self.finished:
            line = Text(f"{len(results)}/{total} checked", style="bold")
            if run.state == "stopping":
                line.append("   stopping after the checks in flight…", style="bold yellow")
            summary.update(line)
            return
        passed = sum(counts_as_done(r.status) for r in results.values())
        text = Text()
        if run.state == "stopped":
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
        course = run.course
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
        self.dismiss(None)

"""Progress (done of total, a ProgressBar) and the exercise to open, with its path."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from torchlings.learner.report import display_path
from torchlings.tui.widgets.app_access import AppAccess


class ExerciseLine(AppAccess, Static):
    """`01/52 name  exercises/…/name.py`; when narrow the name goes, the path never does."""

    def on_mount(self) -> None:
        self.watch_app(self.refresh, "current")

    def render(self) -> Text:
        app = self.tapp
        exercise = app.current
        total = len(app.workspace.course.exercises)
        path = app.workspace.exercise_path(exercise)
        # From where the learner's shell stands: what they type to open it.
        rel = display_path(path)
        number = f"{exercise.label}/{total:02d} "
        width = self.content_region.width or 80
        line = Text(number, style="bold")
        if len(number) + len(exercise.name) + 2 + len(rel) <= width:
            line.append(exercise.name, style="bold")
            line.append("  ")
        # An OSC 8 link: terminals that support it open the file on (ctrl/cmd-)click.
        line.append(rel, style=Style(bold=True, underline=True, link=path.as_uri()))
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

    def on_resize(self, event: events.Resize) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        self.tapp.open_editor()


class HeaderBar(AppAccess, Vertical):
    def compose(self) -> ComposeResult:
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
            yield Static(id="done-count")
            yield Static(id="mode")
        yield ExerciseLine(id="exercise-line")

    def on_mount(self) -> None:
        self.watch_app(self._draw, "done_count", "mode", "gone")

    def _draw(self) -> None:
        app = self.tapp
        total = len(app.workspace.course.exercises)
        self.query_one(ProgressBar).update(total=total, progress=app.done_count)
        self.query_one("#done-count", Static).update(
            Text(f" {app.done_count}/{total} done", style="bold"))
        mode = Text("  workspace gone: not watching", style="bold") if app.gone else \
            Text(f"  {app.mode.describe()}", style="italic")
        self.query_one("#mode", Static).update(mode)

"""Every exercise with its status; choose where to continue (rustlings' keys work too)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from torchlings.course import Exercise
from torchlings.learner.report import display_path
from torchlings.tui.screens.confirm import confirm_reset
from torchlings.tui.widgets.app_access import AppAccess


class ListScreen(AppAccess, Screen[Exercise | None]):
    BINDINGS = [
        Binding("j", "move(1)", "down", show=False),
        Binding("k", "move(-1)", "up", show=False),
        Binding("g", "edge('first')", "first", show=False),
        Binding("G", "edge('last')", "last", show=False),
        # Before the table's own Home/End, which scroll without moving the cursor.
        Binding("home", "edge('first')", "first", show=False, priority=True),
        Binding("end", "edge('last')", "last", show=False, priority=True),
        Binding("enter,c", "choose", "continue at", priority=True),
        Binding("slash,s", "search", "search", key_display="/"),
        Binding("d", "filter('done')", "done", show=False),
        Binding("p", "filter('pending')", "pending", show=False),
        Binding("a", "filter('all')", "all", show=False),
        Binding("r,x", "reset", "reset"),
        Binding("escape,q", "back", "back", key_display="esc"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show = "all"
        self.search = ""

    def compose(self) -> ComposeResult:
        yield Static(id="list-title")
        yield DataTable(id="exercises", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="search by name (Enter keeps it, Esc clears)", id="search")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="mark")
        table.add_column("#", key="number")
        table.add_column("name", key="name")
        table.add_column("status", key="status")
        table.add_column("path", key="path")
        self.query_one("#search").display = False
        self.fill(select=self.tapp.current.name)
        # A check that finishes while the list is open (check all, a save) shows up here.
        self.watch(self.app, "done_count", lambda: self.fill(), init=False)
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
            select = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        workspace = self.tapp.workspace
        current = self.tapp.current
        for exercise in self.rows():
            # The current row keeps its done/pending word; the marker says it is current.
            mark = Text("▶", style="bold") if exercise == current else Text(" ")
            status = (Text("✓ done", style="bold green") if workspace.is_done(exercise)
                      else Text("· pending", style="yellow"))
            name = Text(exercise.name, style="bold" if exercise == current else "")
            table.add_row(mark, exercise.label, name, status, display_path(workspace.exercise_path(exercise)),
                          key=exercise.name)
        names = [e.name for e in self.rows()]
        if select in names:
            table.move_cursor(row=names.index(select))
        done = workspace.done_count
        total = len(workspace.course.exercises)
        title = Text(f"Exercises: {done} of {total} done", style="bold")
        title.append(f"   showing {self.show}", style="italic")
        if self.search:
            title.append(f", names with {self.search!r}", style="italic")
        if not table.row_count:
            title.append("   (nothing matches)", style="bold yellow")
        self.query_one("#list-title", Static).update(title)

    def selected(self) -> Exercise | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.tapp.workspace.course.by_name(key) if key else None

    def _searching(self) -> bool:
        return self.query_one("#search", Input).has_focus

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While typing a search, letters (and Enter) belong to the search box.
        if action in ("choose", "edge", "search", "filter", "reset", "move"):
            return not self._searching()
        return True

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_edge(self, which: str) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=0 if which == "first" else table.row_count - 1)

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

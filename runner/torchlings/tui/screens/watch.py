"""The watch screen: the learner's home. It draws the app's state and turns keys into
calls on the app; it holds no progress of its own."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from torchlings.course import Exercise
from torchlings.tui.widgets.app_access import AppAccess
from torchlings.tui.widgets.checking_panel import CheckingPanel
from torchlings.tui.widgets.header import HeaderBar
from torchlings.tui.widgets.hint_panel import HintPanel
from torchlings.tui.widgets.learning_curve import LearningCurve
from torchlings.tui.widgets.playback import Playback
from torchlings.tui.widgets.result_view import MoreBelow, ResultView
from torchlings.tui.widgets.status_line import StatusLine

# Every key of the screen; the footer shows the ones a narrow terminal has room for,
# `?` lists them all.
KEYS = [
    Binding("n", "next", "next"),
    Binding("h", "hint", "hint"),
    Binding("H", "hide_hints", "hide hints", show=False),
    Binding("r", "rerun", "re-run", show=False),
    Binding("l", "list", "list"),
    Binding("c", "check_all", "check all"),
    Binding("x", "reset", "reset", show=False),
    Binding("e", "edit", "edit", show=False),
    Binding("p", "replay", "replay agent"),
    Binding("question_mark", "help", "help", key_display="?"),
    Binding("q", "quit", "quit"),
]

# Keys that read or write the workspace: off once its folder was deleted.
NEEDS_WORKSPACE = {"next", "rerun", "list", "check_all", "reset", "edit"}


class WatchScreen(AppAccess, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*KEYS]

    def __init__(self) -> None:
        super().__init__()
        self._told_last: str | None = None  # the exercise whose last-hint note was shown

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            with Vertical(id="result-column"):
                yield CheckingPanel(id="checking")
                yield ResultView(id="result-scroll")
                yield MoreBelow(id="more")
                yield Playback(id="playback")
            yield LearningCurve(id="series")
        yield HintPanel(id="hints")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ResultView).focus()
        self.watch_app(self.refresh_bindings, "current", "progress", "result", "gone")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        app = self.tapp
        if app.gone and action in NEEDS_WORKSPACE:
            return False  # only q (and help, hints) still make sense
        if action == "next":
            return app.can_go_next
        if action == "hint":
            return bool(app.current.hints)
        if action == "hide_hints":
            return app.hints.visible
        if action == "replay":  # only once a capstone's agent has played
            return any(playback.episode is not None for playback in self.query(Playback))
        return True

    def action_next(self) -> None:
        self.tapp.go_next()

    def action_hint(self) -> None:
        app = self.tapp
        if not app.reveal_hint() and self._told_last != app.current.name:
            # Said once per exercise: repeated presses must not stack toasts over the
            # hints, which already end with "No more hints."
            self._told_last = app.current.name
            self.notify("That was the last hint (H hides them).", timeout=3)
        self.refresh_bindings()

    def action_hide_hints(self) -> None:
        self.tapp.hide_hints()
        self.refresh_bindings()

    def action_rerun(self) -> None:
        self.tapp.request_check()

    def action_list(self) -> None:
        from torchlings.tui.screens.exercise_list import ListScreen

        def chosen(exercise: Exercise | None) -> None:
            if exercise is not None:
                self.tapp.switch_to(exercise)

        self.app.push_screen(ListScreen(), chosen)

    def action_reset(self) -> None:
        from torchlings.tui.screens.confirm import confirm_reset

        confirm_reset(self.tapp, self.tapp.current)

    def action_check_all(self) -> None:
        self.tapp.check_all()

    def action_replay(self) -> None:
        self.query_one(Playback).replay()

    def action_edit(self) -> None:
        self.tapp.open_editor()

    def action_help(self) -> None:
        from torchlings.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        await self.tapp.action_quit()

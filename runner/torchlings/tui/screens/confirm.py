"""A yes/no question (resetting an exercise asks first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from torchlings.course import Exercise
from torchlings.learner.report import display_path

if TYPE_CHECKING:
    from torchlings.tui.app import TorchlingsApp


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


def confirm_reset(app: TorchlingsApp, exercise: Exercise,
                  then: Callable[[], None] | None = None) -> None:
    """Ask before resetting; `then` runs after the answer (the list redraws itself)."""

    def answered(yes: bool | None) -> None:
        if yes:
            app.reset(exercise)
        if then is not None:
            then()

    path = display_path(app.workspace.exercise_path(exercise))
    question = (f"Reset {exercise.label} {exercise.name}?\n"
                f"{path} goes back to the shipped version and the exercise becomes pending; "
                "your file is kept in .torchlings/backups.")
    app.push_screen(ConfirmScreen(question), answered)

"""The welcome text and every key: reachable with ? after the first verdict replaced it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from torchlings.tui.prose import reflow

if TYPE_CHECKING:
    from torchlings.tui.app import TorchlingsApp


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,enter", "close", "back", key_display="esc")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(self._text(), id="help-text")
        yield Footer()

    def _text(self) -> Text:
        from torchlings.tui.screens.watch import KEYS

        app: TorchlingsApp = self.app  # type: ignore[assignment]
        text = Text()
        welcome = reflow(app.workspace.course.welcome)
        if welcome:
            text.append(welcome + "\n\n")
        text.append("Keys\n", style="bold")
        for binding in KEYS:
            key = binding.key_display or binding.key
            text.append(f"  {key:<3}", style="bold")
            text.append(f" {binding.description}\n")
        text.append("\nIn the list (l): Enter or c continue at, / or s search, r reset, "
                    "g / G first / last, d p a done / pending / all.")
        return text

    def action_close(self) -> None:
        self.dismiss(None)

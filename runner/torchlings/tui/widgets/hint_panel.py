"""The hints revealed so far (h reveals the next, H hides them again)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from torchlings.tui.widgets.app_access import AppAccess


class HintPanel(AppAccess, VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="hint-text")

    def on_mount(self) -> None:
        self.border_title = "hints: h next, H hide"
        self.watch_app(self._draw, "current", "hints")

    def _draw(self) -> None:
        app = self.tapp
        hints = app.current.hints
        shown = app.hints.shown
        self.display = app.hints.visible and shown > 0
        text = Text()
        for index, hint in enumerate(hints[:shown], start=1):
            if index > 1:
                text.append("\n")
            text.append(f"Hint {index} of {len(hints)}: ", style="bold")
            text.append(hint)  # plain text: brackets in a hint are code, never markup
        if shown >= len(hints):
            text.append("\nNo more hints.", style="italic")
        self.query_one("#hint-text", Static).update(text)
        self.scroll_end(animate=False)

"""One line: the status word (checking / failing / done / error) and what it means."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from torchlings.tui.widgets.app_access import AppAccess
from torchlings.vocabulary import headline_style

WATCHED = ("current", "result", "progress", "checking", "queued", "engine_ready",
           "check_all_run", "done_count", "gone")


class StatusLine(AppAccess, Static):
    def on_mount(self) -> None:
        self.watch_app(self._draw, *WATCHED)

    def _draw(self) -> None:
        word, rest = self.tapp.status()
        text = Text(word, style=headline_style(word))
        if rest:
            text.append(f" — {rest}")
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.update(text)
        self.set_classes(f"status-{word}")

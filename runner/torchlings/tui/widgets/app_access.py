"""The torchlings app, typed, for the screens and widgets that watch it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchlings.tui.app import TorchlingsApp


class AppAccess:
    @property
    def tapp(self) -> TorchlingsApp:
        app: TorchlingsApp = self.app  # type: ignore[attr-defined]
        return app

    def watch_app(self, callback: Callable[[], object], *names: str) -> None:
        """Call `callback()` now and whenever one of the app's reactive `names` changes."""
        for name in names:
            self.watch(self.app, name, lambda _value: callback(), init=False)  # type: ignore[attr-defined]
        callback()

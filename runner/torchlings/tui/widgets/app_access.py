"""The torchlings app, typed, for the screens and widgets that watch it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchlings.tui.app import TorchlingsApp


class AppAccess:
    @property
    def tapp(self) -> TorchlingsApp:
        return self.app  # type: ignore[attr-defined,return-value]

    def watch_app(self, callback, *names: str) -> None:  # noqa: ANN001
        """Call `callback()` now and whenever one of the app's reactive `names` changes."""
        for name in names:
            self.watch(self.app, name, lambda _value: callback(), init=False)  # type: ignore[attr-defined]
        callback()

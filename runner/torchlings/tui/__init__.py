"""Watch mode: the Textual app a learner works in (`torchlings`, `torchlings watch`).

`supported()` / `unsupported_reason()` are cheap; the app itself (and Textual) is
imported only when it is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torchlings.tui.terminal import supported, unsupported_reason

if TYPE_CHECKING:
    from torchlings.tui.app import TorchlingsApp, WatchOptions

__all__ = ["TorchlingsApp", "WatchOptions", "supported", "unsupported_reason"]


def __getattr__(name: str) -> Any:
    if name in ("TorchlingsApp", "WatchOptions"):
        from torchlings.tui import app

        return getattr(app, name)
    raise AttributeError(name)

"""Watch mode: the Textual app a learner works in (`torchlings`, `torchlings watch`)."""

from torchlings.tui.app import TorchlingsApp, WatchOptions

__all__ = ["TorchlingsApp", "WatchOptions"]

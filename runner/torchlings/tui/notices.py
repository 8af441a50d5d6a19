"""What the watch screen tells the learner once, as a notification, and not again.

Loading can warn (a damaged progress file), and so can saving (a read-only
folder), which happens after any verdict; the warm worker can fail to start. A
save that keeps failing the same way is said once, until a save works again
(`StateStore.last_error` back to None): a toast after every check would bury
the verdict.
"""

from __future__ import annotations

from collections.abc import Callable

from torchlings.engine import Engine
from torchlings.learner.workspace import Workspace

Notify = Callable[..., None]  # App.notify


class Notices:
    def __init__(self, notify: Notify, workspace: Workspace, engine: Engine) -> None:
        self.notify, self.workspace, self.engine = notify, workspace, engine
        self._warned = 0  # workspace warnings already shown
        self._save_error_told: str | None = None  # the save failure on screen already
        self._engine_error_told = False

    def new_warnings(self) -> None:
        new = self.workspace.warnings[self._warned:]
        self._warned = len(self.workspace.warnings)
        for warning in dict.fromkeys(new):
            if warning != self._save_error_told:
                self.notify(warning, severity="warning", timeout=10)
        self._save_error_told = self.workspace.store.last_error

    def engine_error(self) -> None:
        # The warm worker can fail at start-up, or later when a new one is needed.
        error = self.engine.startup_error
        if error and not self._engine_error_told:
            self._engine_error_told = True
            self.notify(f"The fast checker could not start, so each check runs in a fresh "
                        f"Python (slower). {error}", severity="warning", timeout=15)

    def workspace_gone(self, message: str) -> None:
        """The screen says `message` in full from now on: saves failing with it stay quiet."""
        self._warned = len(self.workspace.warnings)
        self._save_error_told = message

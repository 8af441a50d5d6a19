"""Whether this terminal can show the full-screen watch app (cheap: no Textual import)."""

from __future__ import annotations

import os
import sys

# Terminals that cannot move the cursor or draw a full screen (Emacs' shell, some CI logs).
PLAIN_TERMS = ("dumb", "unknown")


def streams_are_terminals() -> bool:
    return sys.stdout.isatty() and sys.stdin.isatty()


def unsupported_reason() -> str | None:
    """Why the watch screen cannot run here, or None when it can.

    The CLI asks this before starting the app and prints plain advice instead.
    """
    if not streams_are_terminals():
        return "watch mode needs a terminal"
    term = os.environ.get("TERM", "")
    if term in PLAIN_TERMS:
        return f"this terminal (TERM={term}) cannot draw the watch screen"
    return None


def supported() -> bool:
    return unsupported_reason() is None

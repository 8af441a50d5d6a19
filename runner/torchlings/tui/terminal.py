"""Whether this terminal can show the full-screen watch app (cheap: no Textual import)."""

from __future__ import annotations

import os
import sys


def unsupported_reason() -> str | None:
    """Why the watch screen cannot run here, or None when it can.

    The CLI asks this before starting the app and prints plain advice instead.
    """
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        return "watch mode needs a terminal"
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        return f"this terminal (TERM={os.environ['TERM']}) cannot draw the watch screen"
    return None


def supported() -> bool:
    return unsupported_reason() is None

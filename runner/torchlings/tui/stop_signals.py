"""SIGTERM and SIGHUP end the watch screen the way q does.

Python's default for both is to die where it stands: the terminal stayed in
the alternate screen with mouse reporting on and the cursor hidden. Handled
on the app's event loop instead, they run the app's own exit, which puts the
terminal back. Should the app not finish its exit (a stuck loop), a timer
restores the terminal itself and leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from typing import Any

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
# How long the app gets to exit on its own before the terminal is restored directly.
EXIT_GRACE = 5.0
# Mouse reporting (every mode) off, bracketed paste and focus events off,
# cursor shown, back to the normal screen.
RESTORE = ("\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"
           "\x1b[?2004l\x1b[?1004l\x1b[?25h\x1b[?1049l")


def install(app: Any) -> None:
    """Call from the app's event loop (on_mount)."""
    loop = asyncio.get_running_loop()
    for number in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, _stop, app, number)


def _stop(app: Any, number: int) -> None:
    app.stopped_by_signal = number
    app.exit(return_code=128 + number)
    timer = threading.Timer(EXIT_GRACE, _restore_and_leave, args=(app, number))
    timer.daemon = True
    timer.start()


def _restore_and_leave(app: Any, number: int) -> None:
    if not getattr(app, "is_running", True):
        return  # it exited the normal way
    with contextlib.suppress(OSError, ValueError):
        stream = sys.__stdout__
        if stream is not None:
            stream.write(RESTORE)
            stream.flush()
    os._exit(128 + number)

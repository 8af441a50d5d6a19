"""Following a check's live series: `testing.record_point` in the check process,
`on_series(series_so_far)` in the runner.

The check process writes one JSON line per point (`[name, value]`) to a pipe;
a thread here reads them and calls the callback with every series so far, at
most every MIN_INTERVAL seconds, and once more at the end so the last points
are never held back.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import threading
import time

from torchlings.engine.jobs import SeriesCallback

MIN_INTERVAL = 0.1


class SeriesFollower:
    def __init__(self, callback: SeriesCallback, interval: float = MIN_INTERVAL) -> None:
        self._callback = callback
        self._interval = interval
        read_fd, self.write_fd = os.pipe()
        self._read_fd = read_fd
        self._series: dict[str, list[float]] = {}
        self._thread = threading.Thread(target=self._follow, name="torchlings-series",
                                        daemon=True)
        self._thread.start()

    def handed_over(self) -> None:
        """The check process holds the write end now: close ours, so its end is our EOF."""
        with contextlib.suppress(OSError):
            os.close(self.write_fd)

    def finish(self, timeout: float = 2.0) -> None:
        self.handed_over()
        self._thread.join(timeout)

    def _follow(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._read_fd, selectors.EVENT_READ)
        buffer = b""
        last_call = 0.0
        pending = False
        try:
            while True:
                wait = None
                if pending:
                    wait = max(0.0, last_call + self._interval - time.monotonic())
                if selector.select(wait):
                    chunk = os.read(self._read_fd, 65536)
                    if not chunk:
                        break
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    pending = self._add(lines) or pending
                if pending and time.monotonic() - last_call >= self._interval:
                    self._call()
                    last_call, pending = time.monotonic(), False
            if pending:
                self._call()
        finally:
            selector.close()
            os.close(self._read_fd)

    def _add(self, lines: list[bytes]) -> bool:
        added = False
        for line in lines:
            try:
                name, value = json.loads(line)
                self._series.setdefault(str(name), []).append(float(value))
                added = True
            except (ValueError, TypeError):
                continue  # a torn or foreign line: a plot can miss a point
        return added

    def _call(self) -> None:
        snapshot = {name: list(values) for name, values in self._series.items()}
        # The caller's fault must not stop the following, nor the check.
        with contextlib.suppress(Exception):
            self._callback(snapshot)

"""A check starts promptly, whatever the screen is busy drawing.

The check's thread gives the GIL away at every system call and must get it
back from the event loop's redraws: the app shortens the interval after which
a waiting thread gets it, for as long as it runs, and puts it back on quit.
"""

from __future__ import annotations

import sys

from tui_helpers import wait_for

from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.app import GIL_SWITCH_SECONDS


async def test_waiting_threads_get_the_gil_quickly_while_the_app_runs(workspace, engine):
    before = sys.getswitchinterval()
    assert before > GIL_SWITCH_SECONDS  # Python's default, 5 ms
    app = TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert sys.getswitchinterval() <= GIL_SWITCH_SECONDS
    assert sys.getswitchinterval() == before

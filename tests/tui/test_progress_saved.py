"""A verdict reaches the screen before the disk, and the disk all the same.

The watch screen writes progress (an fsync) after the screen shows the
verdict, not before; these make sure it is still written: after the redraw,
and when the learner quits straight after the verdict.
"""

from __future__ import annotations

import json

from tui_helpers import passed, wait_for

from torchlings.tui import TorchlingsApp, WatchOptions

SIZE = (100, 30)


def done_on_disk(workspace) -> set[str]:
    return set(json.loads(workspace.store.path.read_text())["done"])


async def test_a_pass_is_saved_once_it_is_on_the_screen(workspace, engine):
    engine.verdicts["first"] = passed()
    app = TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert app.status_text.startswith("done")
        await wait_for(pilot, lambda: "first" in done_on_disk(workspace))


async def test_a_pass_is_saved_when_the_learner_quits_before_the_redraw(workspace, engine):
    app = TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)  # failing, as shipped
        app.call_after_refresh = lambda *args, **kwargs: None  # the redraw never comes
        engine.verdicts["first"] = passed()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.status_text.startswith("done"))
        assert "first" not in done_on_disk(workspace)  # the screen first, then the disk
    assert "first" in done_on_disk(workspace)  # the quit wrote it

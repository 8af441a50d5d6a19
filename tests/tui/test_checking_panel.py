"""While a check runs: "checking" with the time so far and the limit ahead, live, and
the verdict below marked as the previous one."""

from __future__ import annotations

import re

from tui_helpers import failed, not_done, screen_text, settle, wait_for

from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.widgets.checking_panel import CheckingPanel

SIZE = (120, 30)
ELAPSED = re.compile(r"Checking 01 first: (\d+\.\d) s \(stopped at 10 s\)")


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


async def test_a_running_check_shows_its_time_live_and_marks_the_verdict_as_previous(
        workspace, engine):
    path = workspace.exercise_path(workspace.course.by_name("first"))
    engine.default = failed(path)
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert not app.screen.query_one(CheckingPanel).display
        assert "previous verdict" not in screen_text(app)
        engine.default = not_done(path)
        gate = engine.hold()
        await pilot.press("r")
        await wait_for(pilot, lambda: ELAPSED.search(screen_text(app)) is not None)
        first = ELAPSED.search(screen_text(app)).group(1)
        # The clock moves on its own while the check runs: no event needed.
        await wait_for(pilot, lambda: (m := ELAPSED.search(screen_text(app))) is not None
                       and m.group(1) != first, timeout=5)
        text = screen_text(app)
        assert "Below: the previous verdict, from before this check." in text
        assert "expected 2, got 3" in text  # the previous verdict, under that line
        gate.set()
        await wait_for(pilot, lambda: not app.checking)
        await settle(pilot)
        text = screen_text(app)
        assert "Checking 01" not in text and "previous verdict" not in text
        assert not app.screen.query_one(CheckingPanel).display

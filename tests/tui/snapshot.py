"""SVG snapshots of the screens, compared with the files in tests/tui/snapshots/.

A small stand-in for pytest-textual-snapshot's `snap_compare` (whose syrupy pin
wants pytest < 9): run the app with Pilot, let it settle, take Textual's own SVG
screenshot, compare it with the stored one. After a deliberate change of the look,
regenerate with
    TORCHLINGS_UPDATE_SNAPSHOTS=1 python -m pytest tests/tui/test_snapshots.py
and look at the changed SVGs (any browser shows them) before committing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from tui_helpers import settle

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("TORCHLINGS_UPDATE_SNAPSHOTS") == "1"


async def snap_compare(app, name: str, size: tuple[int, int], tmp_path: Path,  # noqa: ANN001
                       run_before: Callable[..., Awaitable[None]] | None = None) -> None:
    """Fail unless the screen after `run_before(pilot)` is the stored snapshot `name`."""
    async with app.run_test(size=size) as pilot:
        if run_before is not None:
            await run_before(pilot)
        await settle(pilot)
        # Rich names the SVG's classes after a hash that covers the links' targets
        # (paths under a temporary folder): the name is not part of the look.
        svg = re.sub(r"terminal-\d+", "terminal", app.export_screenshot(title="torchlings"))
    path = SNAPSHOTS / f"{name}_{size[0]}x{size[1]}.svg"
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot written to {path}; look at it and run again")
        return
    if svg != path.read_text(encoding="utf-8"):
        actual = tmp_path / path.name
        actual.write_text(svg, encoding="utf-8")
        pytest.fail(f"the screen differs from {path} (now: {actual}); "
                    "TORCHLINGS_UPDATE_SNAPSHOTS=1 regenerates it after a deliberate change")

"""Fixtures for the watch-app tests: a small workspace on disk and a fake engine."""

from __future__ import annotations

import pytest
from tui_helpers import SHIPPED, FakeEngine, make_workspace

from torchlings.learner.workspace import Workspace


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Workspace:
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    root = make_workspace(tmp_path / "ws")
    monkeypatch.chdir(root)  # where the learner's shell stands: paths on screen are from here
    # `reset` puts back the shipped file; for this made-up course that is SOURCE.
    monkeypatch.setattr("torchlings.learner.workspace.shipped.read_shipped",
                        lambda rel, workspace=None: SHIPPED)
    return Workspace.open(root)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()

"""Odd and hostile things around a check that once broke it (issue 20, section 3)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from torchlings.engine import CheckJob, Status
from torchlings.engine.host.warm_engine import WarmEngine, warm_supported

HERE = Path(__file__).parent
ENGINE_LEARNERS = HERE.parent / "engine" / "learners"
TINY_CHECK = ENGINE_LEARNERS / "check_tiny.py"

pytestmark = pytest.mark.skipif(not warm_supported() or not sys.platform.startswith("linux"),
                                reason="needs fork (the warm engine)")


def test_a_workspace_whose_path_holds_a_dollar_sign(tmp_path):
    # pytest expands variables in --rootdir: `$HOME` became the home folder
    # and every check reported "pytest could not run".
    folder = tmp_path / "$HOME" / "${USER}x"
    folder.mkdir(parents=True)
    shutil.copyfile(TINY_CHECK, folder / "check_tiny.py")
    shutil.copyfile(ENGINE_LEARNERS / "good.py", folder / "good.py")
    engine = WarmEngine()
    try:
        result = engine.check(CheckJob(folder / "check_tiny.py", folder / "good.py", timeout=20))
    finally:
        engine.close()
    assert result.status is Status.PASSED, result.summary


SEES_ITS_SURROUNDINGS = """\
import os, pathlib, tempfile

def answer():
    leaked = [name for name in ("TMUX", "TMUX_PANE", "STY") if name in os.environ]
    assert not leaked, f"the check sees {leaked}"
    folder = tempfile.gettempdir()
    assert os.environ["TMPDIR"] == folder and os.environ["TMUX_TMPDIR"] == folder
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(b"left behind")
    pathlib.Path(os.environ["REPORT_TO"]).write_text(handle.name)
    return 42
"""


def test_a_check_has_its_own_temporary_folder_and_no_terminal_session(tmp_path, monkeypatch):
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,4242,0")
    monkeypatch.setenv("TMUX_PANE", "%3")
    monkeypatch.setenv("STY", "4242.pts-0.host")
    monkeypatch.setenv("REPORT_TO", str(tmp_path / "left"))
    learner = tmp_path / "surroundings.py"
    learner.write_text(SEES_ITS_SURROUNDINGS)
    for one_shot in (False, True):
        from torchlings.engine import make_engine

        engine = make_engine(one_shot=one_shot)
        try:
            result = engine.check(CheckJob(TINY_CHECK, learner, timeout=20))
        finally:
            engine.close()
        assert result.status is Status.PASSED, (one_shot, result.problem)
        left = Path((tmp_path / "left").read_text())
        assert "torchlings-check-" in str(left)
        assert not left.exists(), "the check's temporary file outlived it"
        assert not left.parent.exists(), "the check's temporary folder outlived it"



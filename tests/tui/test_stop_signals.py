"""SIGTERM or SIGHUP to the watch screen leaves the terminal as it found it.

Python's default for both ended the process where it stood: the terminal
stayed in the alternate screen, with mouse reporting on and no cursor.
"""

from __future__ import annotations

import os
import signal
import sys
import uuid

import pytest
from tests.tui.test_e2e_tmux import RUNNER, Tmux, make_workspace, pytestmark  # noqa: F401


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the process in /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["term", "hup"])
def test_a_stop_signal_restores_the_terminal(tmp_path, sig):
    root = make_workspace(tmp_path / "ws")
    tmux = Tmux(f"torchlings-sig-{uuid.uuid4().hex[:8]}")
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "100", "-y", "30",
             "-e", f"PYTHONPATH={RUNNER}", "-e", "PS1=PROMPT$ ",
             "bash", "--norc", "--noprofile")
    try:
        tmux.wait(lambda: "PROMPT$" in tmux.screen(), "the shell prompt", 20)
        shell = int(tmux.run("display-message", "-p", "-t", tmux.name, "#{pane_pid}").strip())
        tmux.keys(f"cd {root} && {sys.executable} -m torchlings --no-warm; echo EXITED=$?",
                  "Enter")
        tmux.wait(lambda: "leaf_gradients" in tmux.screen(), "the watch screen", 60)
        assert tmux.flag("alternate_on") == "1"
        assert tmux.flag("mouse_any_flag") == "1"
        runner = _children(shell)
        assert len(runner) == 1, runner  # the torchlings this test started in its own shell
        os.kill(runner[0], sig)
        tmux.wait(lambda: f"EXITED={128 + sig}" in tmux.screen(), "torchlings to leave", 30)
        assert tmux.flag("alternate_on") == "0"  # back on the normal screen
        assert tmux.flag("cursor_flag") == "1"  # the cursor is visible again
        assert tmux.flag("mouse_any_flag") == "0"  # mouse reporting is off
    finally:
        tmux.run("kill-session", "-t", tmux.name)

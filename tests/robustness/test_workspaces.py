"""Damaged workspaces: each gets a message that says what to do, and loses nothing."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import invoke, read_state, solve, tree_snapshot

STATE = Path(".torchlings/state.json")


def make_progress(root: Path) -> None:
    solve(root, "double")
    assert invoke("run", "double").exit_code == 0


def test_corrupt_state_is_backed_up_and_the_learner_told(workspace):
    make_progress(workspace)
    (workspace / STATE).write_text('{"format_version": 1, "done": ["dou')
    result = invoke("list")
    assert result.exit_code == 0
    assert "damaged" in result.output and "state.json.corrupt-" in result.output
    backups = list((workspace / ".torchlings").glob("state.json.corrupt-*"))
    assert backups[0].read_text() == '{"format_version": 1, "done": ["dou'


def test_empty_state_is_treated_the_same(workspace):
    (workspace / STATE).parent.mkdir(parents=True, exist_ok=True)
    (workspace / STATE).write_text("")
    result = invoke("hint", "01")
    assert result.exit_code == 0 and "damaged" in result.output
    assert read_state(workspace)["hints_seen"] == {"add": 1}


def test_state_from_a_newer_format_is_never_overwritten(workspace):
    newer = {"format_version": 99, "current": "halve", "done": ["double"], "hints_seen": {},
             "badges": ["future"]}
    (workspace / STATE).parent.mkdir(parents=True, exist_ok=True)
    (workspace / STATE).write_text(json.dumps(newer))
    solve(workspace, "add")
    result = invoke("run", "add")
    assert result.exit_code == 0
    assert "newer torchlings" in result.output
    assert json.loads((workspace / STATE).read_text()) == newer


def test_unwritable_state_warns_and_the_check_still_runs(workspace):
    (workspace / ".torchlings").write_text("a file where the folder should be")
    solve(workspace, "add")
    result = invoke("run", "add")
    assert result.exit_code == 0
    assert "Could not save progress" in result.output or "warning" in result.output
    assert (workspace / ".torchlings").read_text() == "a file where the folder should be"


def test_read_only_workspace_runs_checks_and_says_progress_is_not_saved(workspace, monkeypatch):
    make_progress(workspace)
    before = tree_snapshot(workspace)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    solve(workspace, "add")
    result = invoke("run", "add")
    assert result.exit_code == 0
    assert "Could not save progress" in result.output and "Read-only" in result.output
    after = tree_snapshot(workspace)
    after.pop("exercises/01_basics/add.py")
    before.pop("exercises/01_basics/add.py")
    assert after == before


def test_deleted_exercise_is_reported_and_reset_brings_it_back(workspace):
    target = workspace / "exercises/01_basics/add.py"
    original = target.read_text()
    target.unlink()
    result = invoke("run", "add")
    assert result.exit_code == 1
    assert "missing" in result.output and "torchlings reset" in result.output
    assert invoke("reset", "add", "--yes").exit_code == 0
    assert target.read_text() == original


def test_catalog_naming_a_missing_file(workspace):
    catalog = workspace / "exercises/info.toml"
    catalog.write_text(catalog.read_text() + '\n[[exercises]]\nname = "ghost"\ndir = "01_basics"\n'
                       'hints = ["a", "b"]\n')
    result = invoke("run", "ghost")
    assert result.exit_code == 1
    assert "exercises/01_basics/ghost.py" in result.output and "missing" in result.output
    dev = invoke("dev", "check", "ghost")
    assert dev.exit_code == 1 and "exercise file exercises/01_basics/ghost.py is missing" in dev.output


def test_malformed_catalog_points_at_the_line(workspace):
    catalog = workspace / "exercises/info.toml"
    lines = catalog.read_text().splitlines()
    lines[5] = 'name = "add'
    catalog.write_text("\n".join(lines) + "\n")
    before = tree_snapshot(workspace)
    result = invoke("list")
    assert result.exit_code == 2
    assert "info.toml is not valid TOML" in result.output and "line 6" in result.output
    assert tree_snapshot(workspace) == before


def test_an_edited_check_gets_an_honest_note(workspace):
    check = workspace / "checks/01_basics/test_add.py"
    check.write_text(check.read_text().replace("(2, 3), 5", "(2, 3), 6"))
    result = invoke("verify", "add")
    assert "differ from the shipped ones" in result.output and "01 add" in result.output


def test_ctrl_c_during_verify_stops_cleanly_and_keeps_what_was_recorded(workspace):
    solve(workspace, "add")
    solve(workspace, "double")
    # The last check is still working when Ctrl-C comes.
    (workspace / "exercises/01_basics/halve.py").write_text(
        "import time\n\ndef halve(t):\n    time.sleep(4)\n    return t / 2\n")
    env = dict(os.environ, TORCHLINGS_WORKSPACE=str(workspace), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "torchlings", "verify"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # As from a terminal: a suite started in the background (`cmd &` in a
        # script) runs with Ctrl-C ignored, and its children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "[ 2/3]" in line:
            break
    assert any("[ 2/3]" in line for line in seen), "".join(seen)
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=60)[0]
    output = "".join(seen) + rest
    assert process.returncode == 130, output
    assert "Traceback" not in output
    assert "Stopped" in rest and "recorded" in rest
    assert "3 of 3" not in output
    assert sorted(read_state(workspace)["done"]) == ["add", "double"]

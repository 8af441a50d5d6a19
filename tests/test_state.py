import json
import os
import signal
import subprocess
import sys
import time

import pytest

from torchlings.state import State, StateStore


def test_round_trip(tmp_path):
    store = StateStore(tmp_path / ".torchlings" / "state.json")
    state = State(current="add", done={"add", "double"}, hints_seen={"add": 2})
    assert store.save(state)
    loaded = StateStore(store.path).load()
    assert loaded == state
    assert json.loads(store.path.read_text())["format_version"] == 1


def test_missing_file_is_a_fresh_start(tmp_path):
    store = StateStore(tmp_path / "state.json")
    assert store.load() == State()
    assert store.warnings == []


@pytest.mark.parametrize("content", ["{not json", "", "[]", '{"format_version": 1, "done": 3}'])
def test_corrupt_file_is_kept_as_backup_and_reported(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_text(content)
    store = StateStore(path)
    assert store.load() == State()
    backups = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text() == content
    assert "damaged" in store.warnings[0] and str(backups[0]) in store.warnings[0]


def test_newer_format_is_read_but_never_overwritten(tmp_path):
    path = tmp_path / "state.json"
    original = json.dumps({"format_version": 7, "current": "add", "done": ["add"],
                           "hints_seen": {}, "future_field": [1, 2]})
    path.write_text(original)
    store = StateStore(path)
    state = store.load()
    assert state.done == {"add"}
    assert not store.save(State(done={"add", "double"}))
    assert path.read_text() == original
    assert "newer torchlings" in store.warnings[0]


def test_unwritable_path_warns_and_keeps_going(tmp_path):
    # A regular file where the folder should be: fails for root too.
    (tmp_path / ".torchlings").write_text("not a folder")
    store = StateStore(tmp_path / ".torchlings" / "state.json")
    assert not store.save(State(done={"add"}))
    assert "Could not save progress" in store.warnings[0]


SAVER = """
import sys
import pathlib
from torchlings.state import State, StateStore
store = StateStore(pathlib.Path(sys.argv[1]))
i = 0
print("ready", flush=True)
while True:
    i += 1
    store.save(State(current=f"exercise_{i}", done={f"d{j}" for j in range(i % 50)},
                     hints_seen={"x": i}))
"""


def test_killed_mid_save_leaves_a_file_that_always_parses(tmp_path):
    path = tmp_path / ".torchlings" / "state.json"
    for attempt in range(12):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                   stdout=subprocess.PIPE)
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(0.05 + 0.02 * attempt)
        process.send_signal(signal.SIGKILL)
        process.wait()
        store = StateStore(path)
        state = store.load()
        assert store.warnings == [], f"attempt {attempt}: {store.warnings}"
        assert state.current and state.current.startswith("exercise_")
    leftovers = [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    # A kill between mkstemp and rename may leave a temp file; never a broken state.json.
    assert all(p.name.startswith(".state-") for p in leftovers)


def test_gitignore_is_written_next_to_the_state(tmp_path):
    store = StateStore(tmp_path / ".torchlings" / "state.json")
    store.save(State())
    assert (tmp_path / ".torchlings" / ".gitignore").read_text() == "*\n"


def test_saving_replaces_atomically(tmp_path, monkeypatch):
    store = StateStore(tmp_path / "state.json")
    store.save(State(current="first"))

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert not store.save(State(current="second"))
    monkeypatch.undo()
    assert StateStore(store.path).load().current == "first"
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]

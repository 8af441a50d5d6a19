import json
import os
import signal
import subprocess
import sys

import pytest

from torchlings.learner.state import State, StateStore


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
from torchlings.learner.state import State, StateStore
store = StateStore(pathlib.Path(sys.argv[1]))
i = 0
while True:
    i += 1
    store.save(State(current=f"exercise_{i}", done={f"d{j}" for j in range(i % 50)},
                     hints_seen={"x": i}))
    print("saved", flush=True)
"""


def test_killed_mid_save_leaves_a_file_that_always_parses(tmp_path):
    path = tmp_path / ".torchlings" / "state.json"
    for attempt in range(12):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                   stdout=subprocess.PIPE)
        # Killed after a different number of saves each time: somewhere in the next one.
        for _ in range(attempt + 1):
            assert process.stdout.readline().strip() == b"saved"
        process.send_signal(signal.SIGKILL)
        process.wait()
        store = StateStore(path)
        state = store.load()
        assert store.warnings == [], f"attempt {attempt}: {store.warnings}"
        assert state.current and state.current.startswith("exercise_")
    # A kill between mkstemp and rename may leave a temp file; the next load removes it.
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


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


MERGER = """
import sys
import pathlib
from torchlings.learner.state import StateStore
store = StateStore(pathlib.Path(sys.argv[1]))
me = sys.argv[2]
state = store.load()  # read once, at the start: the others' later saves are not in it
print("ready", flush=True)
sys.stdin.readline()  # all start saving together
for step in range(25):
    state.done.add(f"{me}-{step}")
    state.hints_seen[f"{me}-hinted"] = step + 1
    state.hints_seen["shared"] = max(state.hints_seen.get("shared", 0), step if me == "a" else 3)
    state.current = f"{me}-{step}"
    assert store.save(state), store.warnings
state.done.discard(f"{me}-0")  # an undo is kept too
assert store.save(state)
"""


def test_concurrent_runners_never_lose_each_others_progress(tmp_path):
    path = tmp_path / ".torchlings" / "state.json"
    seed = StateStore(path)
    assert seed.save(State(done={"solved-before"}, hints_seen={"shared": 1}))
    names = ["a", "b", "c"]
    runners = [subprocess.Popen([sys.executable, "-c", MERGER, str(path), name],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE) for name in names]
    for runner in runners:
        assert runner.stdout.readline().strip() == b"ready"
    for runner in runners:
        runner.stdin.write(b"go\n")
        runner.stdin.flush()
    for runner in runners:
        assert runner.wait(60) == 0
    final = StateStore(path).load()
    expected = {"solved-before"} | {f"{n}-{s}" for n in names for s in range(1, 25)}
    assert final.done == expected
    assert final.hints_seen == {"shared": 24, "a-hinted": 25, "b-hinted": 25, "c-hinted": 25}
    assert final.current in {f"{n}-24" for n in names}


def test_a_save_brings_back_what_others_saved(tmp_path):
    path = tmp_path / ".torchlings" / "state.json"
    mine, theirs = StateStore(path), StateStore(path)
    my_state, their_state = mine.load(), theirs.load()
    their_state.done.add("theirs")
    assert theirs.save(their_state)
    my_state.hints_seen["x"] = 1
    assert mine.save(my_state)
    assert my_state.done == {"theirs"} and my_state.hints_seen == {"x": 1}


def test_bytes_that_are_not_text_are_moved_aside_and_reported(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    store = StateStore(path)
    assert store.load() == State()
    backups = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"\xff\xfe\x00garbage\x80"
    assert "not text" in store.warnings[0]


def test_a_folder_where_the_file_belongs_fails_every_save_loudly(tmp_path):
    path = tmp_path / ".torchlings" / "state.json"
    path.mkdir(parents=True)
    store = StateStore(path)
    state = store.load()
    for attempt in range(3):
        state.done.add(f"e{attempt}")
        assert not store.save(state)
        assert "is a folder" in store.last_error
    assert len([w for w in store.warnings if "is a folder" in w]) == 3


def test_stale_temporary_files_are_removed_on_load(tmp_path):
    folder = tmp_path / ".torchlings"
    folder.mkdir()
    (folder / ".state-abc123.tmp").write_text("{half")
    (folder / ".state.json.xyz.tmp").write_text("")
    StateStore(folder / "state.json").load()
    assert list(folder.iterdir()) == []


def test_a_deleted_workspace_is_never_made_again(tmp_path):
    root = tmp_path / "ws"
    (root / ".torchlings").mkdir(parents=True)
    store = StateStore.for_workspace(root)
    state = store.load()
    subprocess.run(["rm", "-rf", str(root)], check=True)
    state.hints_seen["add"] = 1
    assert not store.save(state)
    assert store.gone and "is gone" in store.last_error
    assert not root.exists()


FULL_DISK = """
import resource, signal, sys, pathlib
from torchlings.learner.state import State, StateStore, atomic_write
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # every write fails, as on a full disk
root = pathlib.Path(sys.argv[1])
store = StateStore.for_workspace(root)
assert not store.save(State(done={"add"}))
try:
    atomic_write(root / "backup.py", b"print('the learner file')")
except OSError:
    pass
else:
    raise SystemExit("the write should have failed")
"""


def test_a_full_disk_leaves_no_empty_or_half_files(tmp_path):
    subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path)], check=True, timeout=60)
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == []

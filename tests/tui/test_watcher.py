"""The watcher on a real folder: every way an editor saves gives exactly one re-check."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from torchlings.learner.watcher import ExerciseWatcher, mount_of, polling_reason

SETTLE = 0.8  # well past the debounce, to be sure no second call comes


class Calls:
    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.event = threading.Event()

    def __call__(self, path: Path) -> None:
        self.paths.append(path)
        self.event.set()

    def wait_settled(self) -> int:
        self.event.wait(3.0)
        time.sleep(SETTLE)
        return len(self.paths)


@pytest.fixture(params=["events", "polling"])
def setup(request, tmp_path):
    folder = tmp_path / "exercises" / "01_x"
    folder.mkdir(parents=True)
    target = folder / "ex.py"
    target.write_text("x = 1\n")
    (folder / "other.py").write_text("y = 1\n")
    calls = Calls()
    watcher = ExerciseWatcher(tmp_path / "exercises", calls, poll=request.param == "polling",
                              poll_interval=0.05)
    watcher.follow(target)
    watcher.start()
    time.sleep(0.1)  # let the observer's watches settle
    yield watcher, target, calls
    watcher.stop()


def test_in_place_write(setup):
    watcher, target, calls = setup
    target.write_text("x = 2\n")
    assert calls.wait_settled() == 1
    assert calls.paths == [target]


def test_write_temp_then_rename(setup):
    _, target, calls = setup
    tmp = target.with_name(".ex.py.swp")
    tmp.write_text("x = 3\n")
    os.replace(tmp, target)
    assert calls.wait_settled() == 1


def test_jetbrains_safe_write(setup):
    # Write ex.py___jb_tmp___, rename the original to ___jb_old___, move the new one in.
    _, target, calls = setup
    new = target.with_name("ex.py___jb_tmp___")
    old = target.with_name("ex.py___jb_old___")
    new.write_text("x = 4\n")
    os.replace(target, old)
    os.replace(new, target)
    old.unlink()
    assert calls.wait_settled() == 1


def test_delete_then_create(setup):
    _, target, calls = setup
    target.unlink()
    time.sleep(0.02)
    target.write_text("x = 5\n")
    assert calls.wait_settled() == 1


def test_two_events_for_one_save(setup):
    _, target, calls = setup
    with open(target, "w") as handle:
        handle.write("x = ")
        handle.flush()
        os.fsync(handle.fileno())
        handle.write("6\n")
    os.utime(target)
    assert calls.wait_settled() == 1


def test_unchanged_content_is_skipped(setup):
    _, target, calls = setup
    target.write_text("x = 1\n")  # same bytes as before
    os.utime(target, (time.time() + 5, time.time() + 5))
    time.sleep(SETTLE)
    assert calls.paths == []


def test_other_files_are_ignored(setup):
    _, target, calls = setup
    (target.parent / "other.py").write_text("y = 2\n")
    time.sleep(SETTLE)
    assert calls.paths == []


def test_follow_switches_file(setup):
    watcher, target, calls = setup
    other = target.parent / "other.py"
    watcher.follow(other)
    target.write_text("x = 9\n")
    other.write_text("y = 9\n")
    assert calls.wait_settled() == 1
    assert calls.paths == [other]


def test_mark_seen_swallows_a_change_already_checked(setup):
    watcher, target, calls = setup
    target.write_text("x = 7\n")
    watcher.mark_seen(target)  # the app checked this content itself
    time.sleep(SETTLE)
    assert calls.paths == []


def test_saves_in_a_row_each_count(setup):
    _, target, calls = setup
    target.write_text("x = 10\n")
    assert calls.wait_settled() == 1
    calls.event.clear()
    target.write_text("x = 11\n")
    assert calls.wait_settled() == 2


MOUNTS = """\
sysfs /sys sysfs rw 0 0
/dev/sda1 / ext4 rw 0 0
C:\\134 /mnt/c 9p rw 0 0
server:/home /home/shared nfs4 rw 0 0
sshfs#me@box: /mnt/remote fuse.sshfs rw 0 0
/dev/sdb1 /data\\040disk ext4 rw 0 0
"""


def test_mount_of_picks_the_longest_prefix():
    assert mount_of(Path("/mnt/c/Users/me"), MOUNTS) == ("/mnt/c", "9p")
    assert mount_of(Path("/home/me"), MOUNTS) == ("/", "ext4")
    assert mount_of(Path("/home/shared/x"), MOUNTS) == ("/home/shared", "nfs4")
    assert mount_of(Path("/data disk/x"), MOUNTS) == ("/data disk", "ext4")


@pytest.mark.parametrize("folder, polls", [
    ("/mnt/c/Users/me/torchlings", True),
    ("/home/shared/torchlings", True),
    ("/mnt/remote/torchlings", True),
    ("/home/me/torchlings", False),
    ("/data disk/torchlings", False),
])
def test_polling_reason_from_mounts(tmp_path, folder, polls):
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    version = tmp_path / "version"
    version.write_text("Linux version 6.1 (gcc)")
    reason = polling_reason(Path(folder), mounts, version)
    assert (reason is not None) is polls


def test_wsl_mnt_polls_even_without_a_telling_mount(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n")
    version = tmp_path / "version"
    version.write_text("Linux version 5.15.90.1-microsoft-standard-WSL2")
    assert polling_reason(Path("/mnt/d/work"), mounts, version) is not None
    assert polling_reason(Path("/home/me/work"), mounts, version) is None


def test_a_deleted_file_is_a_change_once_it_stays_gone(setup):
    # The check then says the file is missing and how to bring it back: no `r` needed.
    _, target, calls = setup
    target.unlink()
    assert calls.wait_settled() == 1
    assert calls.paths == [target]
    target.write_text("x = 1\n")  # back (a reset): a change again, even with the old content
    calls.event.clear()
    assert calls.wait_settled() == 2

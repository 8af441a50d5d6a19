"""A workspace deleted while the watch screen runs: the watcher says so, once, and stops."""

from __future__ import annotations

import shutil
import threading

import pytest

from torchlings.learner.watcher import ExerciseWatcher


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_the_watcher_reports_a_deleted_workspace(tmp_path, poll):
    folder = tmp_path / "ws" / "exercises"
    folder.mkdir(parents=True)
    target = folder / "ex.py"
    target.write_text("x = 1\n")
    gone: list = []
    noticed = threading.Event()

    def on_gone(path):
        gone.append(path)
        noticed.set()

    watcher = ExerciseWatcher(folder, lambda path: None, poll=poll, poll_interval=0.05,
                              on_gone=on_gone)
    watcher.follow(target)
    watcher.start()
    try:
        shutil.rmtree(tmp_path / "ws")
        assert noticed.wait(10), "the watcher never noticed its folder was deleted"
        assert gone == [folder] and watcher.gone
        assert not (tmp_path / "ws").exists()  # and nothing made it again
    finally:
        watcher.stop()

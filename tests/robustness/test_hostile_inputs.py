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
    compile_cache = os.environ.get("TORCHINDUCTOR_CACHE_DIR", "")
    # torch.compile builds in this process: no pool of workers for a small model.
    import sys
    config = sys.modules.get("torch._inductor.config")
    threads = config.compile_threads if config else int(os.environ["TORCHINDUCTOR_COMPILE_THREADS"])
    assert threads == 1, f"{threads} compile threads"
    pathlib.Path(os.environ["REPORT_TO"]).write_text(handle.name + "\\n" + compile_cache)
    return 42
"""


def test_a_check_has_its_own_temporary_folder_and_no_terminal_session(tmp_path, monkeypatch):
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    monkeypatch.delenv("TORCHINDUCTOR_COMPILE_THREADS", raising=False)
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
        report, compile_cache = (tmp_path / "left").read_text().split("\n")
        left = Path(report)
        assert "torchlings-check-" in str(left)
        # torch.compile's cache outlives the check (a compile exercise is not rebuilt
        # from nothing at every save): where torch puts it outside a check.
        assert compile_cache == default_cache_dir(), (one_shot, compile_cache)
        assert not left.exists(), "the check's temporary file outlived it"
        assert not left.parent.exists(), "the check's temporary folder outlived it"




def _run_in_thread(function, seconds: float):
    """function() on a thread; (finished, its value). Never blocks the test for ever."""
    import threading

    box: list = []
    thread = threading.Thread(target=lambda: box.append(function()), daemon=True)
    thread.start()
    thread.join(seconds)
    return (not thread.is_alive()), (box[0] if box else None)


def _unblock(fifo: Path) -> None:
    """Open the pipe for writing too, so a reader stuck in open() goes on (the old bug)."""
    import os

    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return  # nobody is reading it: nothing is stuck
    os.close(fd)


def test_an_exercise_that_is_a_named_pipe_is_refused_at_once(tmp_path):
    import os

    from torchlings.engine.host.subprocess_engine import SubprocessEngine

    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    engine = SubprocessEngine()
    try:
        finished, result = _run_in_thread(
            lambda: engine.check(CheckJob(TINY_CHECK, fifo, timeout=5)), 10)
        if not finished:
            _unblock(fifo)
        assert finished, "the check blocked opening a named pipe"
    finally:
        engine.close()
    assert result.status is Status.ERROR
    assert "named pipe" in result.problem.message
    assert "torchlings reset" in result.problem.message


def test_the_check_process_never_waits_on_a_pipe_either(tmp_path):
    import os

    from torchlings.engine.child.loader import load_exercise
    from torchlings.engine.regular_file import NotARegularFile

    fifo = tmp_path / "swapped.py"
    os.mkfifo(fifo)

    def load():
        try:
            load_exercise(fifo)
        except NotARegularFile as exc:
            return exc.kind
        return "loaded"

    finished, kind = _run_in_thread(load, 10)
    if not finished:
        _unblock(fifo)
    assert finished and kind == "a named pipe (FIFO)"


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_following_an_exercise_linked_to_dev_zero(tmp_path, poll):
    # It hashed /dev/zero until memory ran out; the MemoryError (not an
    # OSError) ended the watcher's thread, and every later save went unseen.
    import threading
    import time

    from torchlings.learner.watcher import ExerciseWatcher

    folder = tmp_path / "exercises"
    folder.mkdir()
    target = folder / "ex.py"
    target.write_text("x = 1\n")
    changes: list[Path] = []
    changed = threading.Event()
    stopped: list[str] = []

    def on_change(path: Path) -> None:
        changes.append(path)
        changed.set()

    watcher = ExerciseWatcher(folder, on_change, poll=poll, poll_interval=0.05,
                              on_stopped=stopped.append)
    watcher.follow(target)
    watcher.start()
    try:
        time.sleep(0.1)
        target.unlink()
        target.symlink_to("/dev/zero")
        watcher.touched(target, complete=True)  # as an event would say
        assert changed.wait(10), "turning the exercise into /dev/zero went unseen"
        changed.clear()
        target.unlink()
        target.write_text("x = 2\n")
        watcher.touched(target, complete=True)
        assert changed.wait(10), "a save after that went unseen: the watcher died"
        assert watcher._thread is not None and watcher._thread.is_alive()
        assert stopped == []
    finally:
        watcher.stop()


def test_a_watcher_that_fails_says_so(tmp_path, monkeypatch):
    import threading

    from torchlings.learner import watcher as watching

    folder = tmp_path / "exercises"
    folder.mkdir()
    target = folder / "ex.py"
    target.write_text("x = 1\n")
    said = threading.Event()
    reasons: list[str] = []

    def on_stopped(reason: str) -> None:
        reasons.append(reason)
        said.set()

    watcher = watching.ExerciseWatcher(folder, lambda path: None, poll=True, poll_interval=0.05,
                                       on_stopped=on_stopped)
    watcher.follow(target)

    def broken(path):
        raise MemoryError("out of memory hashing")

    monkeypatch.setattr(watching, "content_hash", broken)
    watcher.start()
    try:
        watcher.touched(target, complete=True)
        assert said.wait(10), "the watcher ended without a word"
        assert "MemoryError" in reasons[0]
        assert watcher.mode.kind == "stopped"
        assert "stopped following your saves" in watcher.mode.describe()
    finally:
        watcher.stop()


HOARDS_FILES = """\
import resource

kept = []


def answer():
    # Every descriptor stays open, and no new one can be had: the limit is
    # put below what is already open (the errors the learner swallowed).
    while len(kept) < 100:
        kept.append(open(__file__, "rb"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (3, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    return 42
"""


@pytest.mark.parametrize("one_shot", [False, True], ids=["warm", "one-shot"])
def test_no_file_left_to_write_the_result_is_said(tmp_path, one_shot):
    from torchlings.engine import make_engine

    learner = tmp_path / "hoards.py"
    learner.write_text(HOARDS_FILES)
    engine = make_engine(one_shot=one_shot)
    try:
        result = engine.check(CheckJob(TINY_CHECK, learner, timeout=20))
    finally:
        engine.close()
    assert result.status is Status.ERROR, result.summary
    assert "could not be written: too many open files" in result.problem.message
    assert "os._exit" not in result.problem.message


def test_isinstance_replaced_at_import_is_named_not_timed_out(tmp_path):
    # Every isinstance in the runner's own code then said yes: "is this the
    # deadline?" included, and the check was reported as a 13 s timeout.
    learner = tmp_path / "agrees.py"
    learner.write_text("import builtins\n\nbuiltins.isinstance = lambda obj, kind: True\n\n\n"
                       "def answer():\n    return 42\n")
    engine = WarmEngine()
    try:
        result = engine.check(CheckJob(TINY_CHECK, learner, timeout=10))
    finally:
        engine.close()
    assert result.status is Status.ERROR, result.summary
    assert result.problem.exc_type == "CheckTampered"
    assert "builtins.isinstance" in result.problem.message


DELETES_ITS_CHECK = """\
import os

os.remove(os.environ["CHECK_TO_DELETE"])


def answer():
    return 42
"""


def test_a_check_deleted_by_learner_code_is_said_missing(tmp_path, monkeypatch):
    check = tmp_path / "check_tiny.py"
    shutil.copyfile(TINY_CHECK, check)
    learner = tmp_path / "deleter.py"
    learner.write_text(DELETES_ITS_CHECK)
    monkeypatch.setenv("CHECK_TO_DELETE", str(check))
    engine = WarmEngine()
    try:
        during = engine.check(CheckJob(check, learner, timeout=20))
        after = engine.check(CheckJob(check, learner, timeout=20))  # and once it is gone
    finally:
        engine.close()
    # The check that ran while its file was deleted was collected before the learner's
    # file loaded (pytest is set up first), so it judged the code in full: a pass is
    # honest there. Never a fault of torchlings; and from then on the check is missing.
    assert during.status is Status.PASSED or during.problem.exc_type == "CheckMissing"
    assert during.problem is None or "fault in torchlings" not in during.problem.message
    for result in (after,):
        assert result.status is Status.ERROR, result.summary
        assert result.problem.exc_type == "CheckMissing"
        assert "check_tiny.py, is missing" in result.problem.message
        assert "torchlings reset deleter --check" in result.problem.message
        assert "fault in torchlings" not in result.problem.message


FILLS_ITS_TMP = """\
import os, pathlib, tempfile, time


def answer():
    folder = tempfile.gettempdir()
    pathlib.Path(os.environ["REPORT_TO"]).write_text(folder)
    for index in range(40):  # 160 MB in all, 4 MB at a time: no single file is too large
        with open(os.path.join(folder, f"part{index}"), "wb") as handle:
            handle.write(os.urandom(4 * 1024 * 1024))
    time.sleep(60)
    return 42
"""


@pytest.mark.parametrize("one_shot", [False, True], ids=["warm", "one-shot"])
def test_a_check_that_fills_its_temporary_folder_is_stopped(tmp_path, monkeypatch, one_shot):
    from torchlings.engine import make_engine

    monkeypatch.setenv("TORCHLINGS_SCRATCH_LIMIT", str(20 * 1024 * 1024))
    monkeypatch.setenv("REPORT_TO", str(tmp_path / "folder"))
    learner = tmp_path / "fills.py"
    learner.write_text(FILLS_ITS_TMP)
    engine = make_engine(one_shot=one_shot)
    try:
        result = engine.check(CheckJob(TINY_CHECK, learner, timeout=60))
    finally:
        engine.close()
    assert result.status is Status.ERROR, result.summary
    assert result.problem.exc_type == "TooMuchTemporary"
    assert "more than 20 MB of temporary files" in result.problem.message
    assert not Path((tmp_path / "folder").read_text()).exists()  # and it is all gone


def test_compiles_precompiled_header_stays_shared_or_private_as_the_cache_does(tmp_path,
                                                                              monkeypatch):
    # torch fixes the header's folder when its codecache is imported, from the
    # temporary folder of that moment. The warm worker imports it before any
    # check: a verify keeps using the shared one (built once, 150 MB; in each
    # check's own folder it was built again every time, 6 s), a grade moves it
    # into the check's private folder with the rest of the cache.
    import tempfile

    import torch._inductor.codecache as codecache

    from torchlings.engine.child import sandbox

    shared = "/shared/torchinductor_someone/precompiled_headers"
    monkeypatch.setattr(codecache, "_HEADER_DIR", shared)
    monkeypatch.setattr(codecache, "_HEADER_LOCK_DIR", shared + "/locks")
    for name in ("TMPDIR", "TEMP", "TMP", "TMUX_TMPDIR", "SCREENDIR", "TORCHINDUCTOR_CACHE_DIR"):
        monkeypatch.setenv(name, "/unused")  # put back afterwards, whatever the sandbox sets
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)

    sandbox.use_private_tmp(tmp_path / "verify", keep_compile_cache=True)
    assert codecache._HEADER_DIR == shared

    sandbox.use_private_tmp(tmp_path / "grade", keep_compile_cache=False)
    private = tmp_path / "grade" / "torchinductor"
    assert codecache._HEADER_DIR == str(private / "precompiled_headers")
    assert codecache._HEADER_LOCK_DIR == str(private / "precompiled_headers" / "locks")

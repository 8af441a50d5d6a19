"""Through the commands: what one exercise does never reaches another's progress,
a damaged progress file never crashes a command, and learner output never drives
the terminal."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import invoke, read_state, solve

STATE = Path(".torchlings/state.json")


def test_a_state_file_that_is_not_text_is_moved_aside_without_a_traceback(workspace):
    (workspace / STATE).parent.mkdir(parents=True, exist_ok=True)
    (workspace / STATE).write_bytes(b"\xff\xfe{\x80 not utf-8")
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert "damaged" in result.output and "Traceback" not in result.output
    assert list((workspace / ".torchlings").glob("state.json.corrupt-*"))


def test_verify_keeps_the_progress_of_other_exercises_when_one_is_a_symlink_loop(workspace):
    solve(workspace, "double")
    solve(workspace, "halve")
    assert invoke("verify", "double", "halve").exit_code == 0
    assert set(read_state(workspace)["done"]) == {"double", "halve"}
    looped = workspace / "exercises" / "01_basics" / "add.py"
    looped.unlink()
    looped.symlink_to(looped)
    assert invoke("verify").exit_code == 1  # add errs; the others are still done
    assert set(read_state(workspace)["done"]) == {"double", "halve"}
    single = invoke("run", "add")
    assert single.exit_code == 1 and "leads back to itself" in single.output


def test_run_shows_learner_escape_sequences_without_obeying_them(workspace):
    (workspace / "exercises" / "01_basics" / "add.py").write_text(
        "print('\\x1b[?1049h\\x1b[?1000h\\x1b]0;title\\x07')\n\n"
        "def add(a, b):\n"
        "    raise ValueError('\\x1b[2J cleared')\n"
    )
    result = invoke("run", "add")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "␛[2J cleared" in result.output


def test_a_runner_fault_in_one_check_stays_with_that_check(workspace):
    from torchlings.engine import Status, check_many, make_engine
    from torchlings.learner.workspace import Workspace

    class FlakyEngine:
        """A real engine that fails, itself, on one job."""

        def __init__(self, inner):
            self.inner = inner

        def check(self, job, on_series=None):
            if job.exercise_file.name == "add.py":
                raise RuntimeError("a bug in torchlings")
            return self.inner.check(job)

    solve(workspace, "double")
    ws = Workspace.open(workspace)
    jobs = [ws.job(e) for e in ws.course.exercises]
    inner = make_engine(one_shot=True)
    try:
        results = check_many(FlakyEngine(inner), jobs)
    finally:
        inner.close()
    by_name = {e.name: r for e, r in zip(ws.course.exercises, results, strict=True)}
    assert by_name["add"].status is Status.FAULT
    assert "a bug in torchlings" in by_name["add"].problem.message
    assert by_name["double"].status is Status.PASSED
    assert by_name["halve"].status is Status.NOT_DONE


def test_an_edited_check_is_flagged_on_the_result(workspace):
    from torchlings.engine import make_engine
    from torchlings.learner.workspace import Workspace

    solve(workspace, "add")
    ws = Workspace.open(workspace)
    add = ws.course.by_name("add")
    engine = make_engine(one_shot=True)
    try:
        assert engine.check(ws.job(add)).check_modified is False
        check = workspace / add.check_rel
        check.write_text(check.read_text() + "\n# made easier by the learner\n")
        edited = engine.check(ws.job(add))
    finally:
        engine.close()
    assert edited.passed and edited.check_modified is True


def test_verdicts_recorded_from_two_threads_are_both_kept(workspace, monkeypatch):
    # `verify` records each verdict from the thread that checked it. A save
    # merges with the file and writes the result back into the shared state: a
    # verdict another thread records in between must not be wiped.
    import threading

    from torchlings.engine import CheckResult, Status
    from torchlings.learner import state as state_module
    from torchlings.learner.state import StateStore
    from torchlings.learner.workspace import Workspace

    ws = Workspace.open(workspace)
    double, halve = ws.course.resolve("double"), ws.course.resolve("halve")
    passed = CheckResult(Status.PASSED)
    saving = threading.Event()
    real_save, real_write = StateStore.save, state_module.atomic_write

    def save(self, state):
        if threading.current_thread() is not threading.main_thread():
            saving.set()
        return real_save(self, state)

    others: list[threading.Thread] = []

    def write(path, data):
        if path.name == "state.json" and not others:  # mid-save, the other thread records
            others.append(threading.Thread(target=ws.record, args=(halve, passed)))
            others[0].start()
            saving.wait(1.0)  # it changes the state and saves now, unless it has to wait
        real_write(path, data)

    monkeypatch.setattr(StateStore, "save", save)
    monkeypatch.setattr(state_module, "atomic_write", write)
    ws.record(double, passed)
    others[0].join(10)
    assert ws.state.done == {"double", "halve"}
    assert set(read_state(workspace)["done"]) == {"double", "halve"}

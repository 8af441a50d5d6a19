"""The watch app driven with Pilot and a fake engine: every key, in every state."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import pytest
from tui_helpers import errored, failed, not_done, passed, screen_text, settle, wait_for

from torchlings.engine import Status
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.messages import FileChanged
from torchlings.tui.screens.confirm import ConfirmScreen
from torchlings.tui.screens.watch import WatchScreen

SIZE = (100, 30)


def make_app(workspace, engine, **options) -> TorchlingsApp:
    options.setdefault("manual_run", True)
    return TorchlingsApp(workspace, engine, WatchOptions(**options))


def first_word(app: TorchlingsApp) -> str:
    return app.status_text.split()[0]


def footer_keys(app: TorchlingsApp) -> set[str]:
    return {binding.key for (_, binding, enabled, _) in app.active_bindings.values()
            if binding.show and enabled}


def path_of(workspace, name):
    return workspace.exercise_path(workspace.course.by_name(name))


# --- startup and the status line ---------------------------------------------

async def test_first_screen_while_the_engine_warms_up(workspace, engine):
    engine.ready = False
    gate = engine.hold()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert engine.started
        assert first_word(app) == "checking"
        assert "warming up the engine" in app.status_text
        assert "warming up the engine" in screen_text(app)
        engine.make_ready()  # the status follows the warm-up without a new check
        await wait_for(pilot, lambda: app.engine_ready)
        assert "warming" not in app.status_text
        assert first_word(app) == "checking"
        gate.set()
        await wait_for(pilot, lambda: app.result is not None)
        assert first_word(app) == "failing"


@pytest.mark.parametrize("verdict, word", [
    (passed, "done"),
    (not_done, "failing"),
    (failed, "failing"),
    (lambda: errored(Status.ERROR), "error"),
    (lambda: errored(Status.TIMEOUT), "error"),
    (lambda: errored(Status.CRASHED), "error"),
])
async def test_status_line_first_word(workspace, engine, verdict, word):
    engine.default = verdict()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert first_word(app) == word
        status_row = screen_text(app).splitlines()[2]
        assert status_row.split()[0] == word


async def test_failure_shows_test_message_and_the_learners_line(workspace, engine):
    engine.default = failed(path_of(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        text = screen_text(app)
        assert "answer(1) is 2" in text
        assert "expected 2, got 3" in text
        assert "exercises/01_basics/first.py:6" in text
        assert 'raise NotImplementedError("add one to x")' in text
        assert "_pytest" not in text and "pluggy" not in text


async def test_not_done_status_says_so(workspace, engine):
    engine.default = not_done(path_of(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert app.status_text.startswith("failing — not done yet")


# --- n: next, only once the current one passes --------------------------------

async def test_next_is_offered_only_after_a_pass(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "n" not in footer_keys(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.current.name == "first"

        engine.verdicts["first"] = passed()
        await pilot.press("r")
        await wait_for(pilot, lambda: first_word(app) == "done")
        assert "n" in footer_keys(app)
        assert "Press n for 02 second" in app.status_text
        await pilot.press("n")
        await wait_for(pilot, lambda: app.current.name == "second" and app.result is not None)
        assert first_word(app) == "failing"
        assert "02/03 second" in screen_text(app)
        assert workspace.state.current == "second"
        assert "first" in workspace.state.done


async def test_footer_shows_the_keys_that_apply(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        # The footer keeps to what fits a narrow terminal; ? lists every key.
        assert footer_keys(app) == {"h", "l", "c", "question_mark", "q"}
        app.switch_to(workspace.course.by_name("third"))  # has no hints
        await wait_for(pilot, lambda: app.result is not None)
        assert "h" not in footer_keys(app)


# --- h: hints ----------------------------------------------------------------------

async def test_hints_are_revealed_one_by_one_and_cleared_on_change(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        hints = app.screen.query_one("#hints")
        assert not hints.display
        await pilot.press("h")
        await settle(pilot)
        assert hints.display
        text = screen_text(app)
        assert "Hint 1 of 2: Look at the first line." in text
        assert "Add one to x." not in text
        await pilot.press("h")
        await settle(pilot)
        text = screen_text(app)
        assert "Hint 2 of 2: Add one to x." in text and "No more hints." in text
        assert workspace.state.hints_seen["first"] == 2
        await pilot.press("h")  # nothing more: a note, the hints stay
        await settle(pilot)
        assert "Hint 2 of 2" in screen_text(app)

        app.switch_to(workspace.course.by_name("second"))
        await settle(pilot)
        assert not hints.display
        assert "Hint 1 of 2" not in screen_text(app)


async def test_hints_seen_before_come_back_at_the_first_press(workspace, engine):
    workspace.state.hints_seen["first"] = 2
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert not app.screen.query_one("#hints").display
        await pilot.press("h")
        await settle(pilot)
        assert "Hint 2 of 2" in screen_text(app)


# --- r: re-run, and coalescing -------------------------------------------------------

async def test_rerun_checks_again(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert engine.calls == ["first"]
        engine.verdicts["first"] = passed()
        await pilot.press("r")
        await wait_for(pilot, lambda: first_word(app) == "done")
        assert engine.calls == ["first", "first"]


async def test_requests_during_a_run_coalesce_into_one(workspace, engine):
    gate = engine.hold()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: engine.calls == ["first"])
        await pilot.press("r", "r", "r")
        path = path_of(workspace, "first")
        app.post_message(FileChanged(path))
        app.post_message(FileChanged(path))
        await settle(pilot)
        assert first_word(app) == "checking" and app.queued
        gate.set()
        await wait_for(pilot, lambda: len(engine.calls) == 2 and not app.checking
                       and not app.queued)
        assert engine.calls == ["first", "first"]


async def test_a_result_for_an_exercise_left_behind_is_recorded_not_shown(workspace, engine):
    gate = engine.hold()
    engine.verdicts["first"] = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: engine.calls == ["first"])
        app.switch_to(workspace.course.by_name("second"))
        gate.set()
        await wait_for(pilot, lambda: engine.calls == ["first", "second"])
        await wait_for(pilot, lambda: app.result is not None)
        assert app.current.name == "second"
        assert first_word(app) == "failing"
        assert "first" in workspace.state.done


# --- watching saves -----------------------------------------------------------------

async def test_a_save_rechecks_the_current_exercise(workspace, engine):
    app = make_app(workspace, engine, manual_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "watching your saves" in screen_text(app)
        engine.verdicts["first"] = passed()
        path_of(workspace, "first").write_text("def answer(x):\n    return x + 1\n")
        await wait_for(pilot, lambda: first_word(app) == "done")
        assert engine.calls == ["first", "first"]
        path_of(workspace, "second").write_text("x = 1\n")  # not current: nothing runs
        path_of(workspace, "first").write_text("def answer(x):\n    return 1 + x\n")
        await wait_for(pilot, lambda: len(engine.calls) == 3 and not app.checking)
        assert engine.calls == ["first", "first", "first"]


async def test_poll_option_is_shown(workspace, engine):
    app = make_app(workspace, engine, manual_run=False, poll=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "polling for saves (--poll)" in screen_text(app)
        engine.verdicts["first"] = passed()
        path_of(workspace, "first").write_text("def answer(x):\n    return x + 1\n")
        await wait_for(pilot, lambda: first_word(app) == "done")


async def test_manual_run_does_not_follow_saves(workspace, engine):
    app = make_app(workspace, engine, manual_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "manual: press r to check" in screen_text(app)
        assert app.watcher is None
        path_of(workspace, "first").write_text("changed = True\n")
        await pilot.press("r")  # only the key checks; the save above did not
        await wait_for(pilot, lambda: len(engine.calls) == 2 and not app.checking)
        assert engine.calls == ["first", "first"]


# --- x: reset ---------------------------------------------------------------------

async def test_reset_needs_a_yes(workspace, engine):
    target = path_of(workspace, "first")
    target.write_text("my attempt\n")
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen)
        assert target.read_text() == "my attempt\n"
        calls = len(engine.calls)

        await pilot.press("x", "y")
        await wait_for(pilot, lambda: len(engine.calls) == calls + 1 and app.result is not None)
        assert target.read_text() == SOURCE_TEXT
        assert isinstance(app.screen, WatchScreen)


# --- e: the editor --------------------------------------------------------------------

async def test_edit_runs_the_edit_command(workspace, engine, monkeypatch):
    ran = []
    monkeypatch.setattr("torchlings.tui.editor.subprocess.run", lambda argv, check: ran.append(argv))
    app = make_app(workspace, engine, edit_cmd="myeditor --wait")
    monkeypatch.setattr(app, "suspend", nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("e")
        await settle(pilot)
        assert ran == [["myeditor", "--wait", str(path_of(workspace, "first"))]]


async def test_edit_uses_editor_and_path_placeholders(workspace, engine, monkeypatch):
    monkeypatch.setenv("EDITOR", "vim")
    app = make_app(workspace, engine)
    assert app.editor_command() == ["vim", str(path_of(workspace, "first"))]
    app = make_app(workspace, engine, edit_cmd="code -g {path}:1")
    assert app.editor_command() == ["code", "-g", f"{path_of(workspace, 'first')}:1"]


async def test_edit_without_an_editor_says_how_to_set_one(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("e")
        await settle(pilot)
        assert "No editor set" in screen_text(app)
        assert app.is_running


# --- q: quit ------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit(workspace, engine, key):
    app = make_app(workspace, engine, manual_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press(key)
        await settle(pilot)
        assert not app.is_running
    assert app.watcher is not None and app.watcher._stopped
    assert engine.closed  # checks still running return at once
    # What stays on the terminal after q: the last verdict and the file.
    assert app.return_value.startswith("torchlings: failing — not done yet")
    assert "01/03 first: exercises/01_basics/first.py" in app.return_value


async def test_quit_while_checking_does_not_wait(workspace, engine):
    engine.hold()  # never released: the check hangs
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: engine.calls == ["first"])
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running


def test_the_tui_never_imports_torch():
    import subprocess

    code = ("import sys, torchlings.cli.commands, torchlings.tui.app, torchlings.tui.screens; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


SOURCE_TEXT = '''"""An exercise."""


def answer(x):
    # TODO: add one
    raise NotImplementedError("add one to x")
'''


async def test_reopening_a_finished_course_does_not_recheck_everything(workspace, engine):
    workspace.state.done.update({"first", "second", "third"})
    workspace.state.current = "third"
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen)
        assert engine.calls == ["third"]
        assert "Every exercise is done" in app.status_text


async def test_resizing_keeps_the_status_line_readable(workspace, engine):
    engine.default = failed(path_of(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("h")
        for size in [(200, 60), (80, 24), (50, 12), (120, 40)]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            rows = screen_text(app).splitlines()
            assert len(rows) == size[1]
            assert rows[2].split()[0] == "failing"
            assert "01/03 first" in rows[1]

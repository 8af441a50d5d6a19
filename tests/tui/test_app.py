"""The watch app driven with Pilot and a fake engine: every key, in every state."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import pytest
from tui_helpers import errored, failed, not_done, passed, screen_text, settle, wait_for

from torchlings.engine import Status
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens import CheckAllScreen, ConfirmScreen, ListScreen, WatchScreen

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
        engine.ready = True
        await settle(pilot, 0.3)  # the status follows the warm-up without a new check
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
        assert footer_keys(app) >= {"h", "r", "l", "x", "c", "e", "q"}
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
        app._file_changed(path)
        app._file_changed(path)
        assert first_word(app) == "checking"
        gate.set()
        await wait_for(pilot, lambda: app.checking is None and not app.queued)
        await settle(pilot, 0.2)
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
        await settle(pilot, 0.5)
        assert engine.calls == ["first", "first"]


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
        await settle(pilot, 0.5)
        assert engine.calls == ["first"]


# --- l: the list ---------------------------------------------------------------------

async def test_list_moves_searches_filters_and_chooses(workspace, engine):
    workspace.state.done.add("second")
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        text = screen_text(app)
        assert "01  first" in text and "current" in text
        assert "second" in text and "done" in text and "pending" in text
        assert "exercises/02_more/third.py" in text

        await pilot.press("j")
        assert app.screen.selected().name == "second"
        await pilot.press("down")
        assert app.screen.selected().name == "third"
        await pilot.press("k")
        assert app.screen.selected().name == "second"

        await pilot.press("d")
        assert [e.name for e in app.screen.rows()] == ["second"]
        await pilot.press("p")
        assert [e.name for e in app.screen.rows()] == ["first", "third"]
        await pilot.press("a")
        assert len(app.screen.rows()) == 3

        await pilot.press("slash", "d", "p", "x", "q")  # letters go to the search box
        await settle(pilot)
        assert app.screen.search == "dpxq" and app.screen.show == "all"
        assert isinstance(app.screen, ListScreen) and app.screen.rows() == []
        assert "nothing matches" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("slash", "t", "h")
        await settle(pilot)
        assert [e.name for e in app.screen.rows()] == ["third"]
        await pilot.press("escape")  # clears the search, stays in the list
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert len(app.screen.rows()) == 3

        await pilot.press("slash", "s", "e", "c", "enter")  # Enter keeps the search
        await settle(pilot)
        assert [e.name for e in app.screen.rows()] == ["second"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))
        await wait_for(pilot, lambda: app.current.name == "second" and app.result is not None)
        assert engine.calls[-1] == "second"
        assert workspace.state.current == "second"


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_list_goes_back(workspace, engine, key):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", "j", key)
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen)
        assert app.current.name == "first"
        assert app.is_running


async def test_list_reset_asks_first(workspace, engine):
    target = path_of(workspace, "second")
    target.write_text("my own work\n")
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("l", "j", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Reset 02 second?" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert target.read_text() == "my own work\n"
        await pilot.press("x", "y")
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert target.read_text() == SOURCE_TEXT
        backups = list((workspace.root / ".torchlings" / "backups").iterdir())
        assert [b.read_text() for b in backups] == ["my own work\n"]


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


# --- c: check all -------------------------------------------------------------------

async def test_check_all_shows_each_and_a_summary_until_a_key(workspace, engine):
    engine.verdicts["first"] = passed()
    engine.verdicts["third"] = errored(Status.TIMEOUT)
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        gate = engine.hold()
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CheckAllScreen)
        assert first_word(app) == "checking"
        gate.set()
        await wait_for(pilot, lambda: app.screen.finished)
        text = screen_text(app)
        assert "1 of 3 exercises pass." in text
        assert "02 second (failing)" in text and "03 third (error)" in text
        assert "Press any key to return." in text
        await settle(pilot, 0.3)
        assert isinstance(app.screen, CheckAllScreen)  # stays
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen)
        assert first_word(app) == "done"  # the current one passed in the full check
        assert workspace.state.done == {"first"}


async def test_check_all_can_be_stopped(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        gate = engine.hold()
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        gate.set()
        await wait_for(pilot, lambda: app.screen.finished)
        assert "Stopped:" in screen_text(app)
        await pilot.press("q")  # any key returns; it does not quit
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen) and app.is_running


async def test_the_last_pass_rechecks_everything_then_says_so(workspace, engine):
    workspace.state.done.update({"first", "second"})
    workspace.state.current = "third"
    for name in ("first", "second", "third"):
        engine.verdicts[name] = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen))
        await wait_for(pilot, lambda: app.screen.finished)
        assert sorted(engine.calls) == ["first", "second", "third", "third"]
        text = screen_text(app)
        assert "3 of 3 exercises pass." in text
        assert "Every exercise passes. Well done." in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WatchScreen)
        assert first_word(app) == "done"
        assert "Every exercise is done" in app.status_text


async def test_a_final_recheck_that_finds_a_failure_goes_there(workspace, engine):
    workspace.state.done.update({"first", "second"})
    workspace.state.current = "third"
    engine.verdicts.update(first=passed(), second=failed(), third=passed())
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CheckAllScreen))
        await wait_for(pilot, lambda: app.screen.finished)
        assert "Well done" not in screen_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.current.name == "second" and app.result is not None)
        assert first_word(app) == "failing"


# --- series ---------------------------------------------------------------------------

async def test_a_series_is_drawn_as_a_sparkline(workspace, engine):
    curve = [2.0 / (1 + i) for i in range(50)]
    engine.default = passed(series={"loss": curve})
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert app.screen.query_one("#series").display
        text = screen_text(app)
        assert "loss" in text and "█" in text and "▁" in text
        assert "2 → 0.04" in text


async def test_no_series_no_panel(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert not app.screen.query_one("#series").display


# --- e: the editor --------------------------------------------------------------------

async def test_edit_runs_the_edit_command(workspace, engine, monkeypatch):
    ran = []
    monkeypatch.setattr("torchlings.tui.app.subprocess.run", lambda argv, check: ran.append(argv))
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
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("e")
        await settle(pilot)
        assert any("EDITOR" in str(n.message) for n in app._notifications)
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

    code = ("import sys, torchlings.cli, torchlings.tui.app, torchlings.tui.screens; "
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
        await settle(pilot, 0.2)
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

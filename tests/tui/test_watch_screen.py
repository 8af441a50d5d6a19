"""The watch screen as a new learner meets it: narrow terminals, hints, the solution
after a pass, what the code printed, the summary left after q, help, NO_COLOR."""

from __future__ import annotations

import re

import pytest
from tui_helpers import failed, passed, screen_text, settle, wait_for

from torchlings.engine import CheckResult, Status
from torchlings.engine import TestOutcome as Outcome
from torchlings.learner.workspace import Workspace
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.help import HelpScreen
from torchlings.tui.screens.watch import WatchScreen


def make_app(workspace, engine) -> TorchlingsApp:
    return TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))


def path_of(workspace, name):
    return workspace.exercise_path(workspace.course.by_name(name))


def long_failure(workspace) -> CheckResult:
    result = failed(path_of(workspace, "first"))
    result.output = "\n".join(f"debug line {i}" for i in range(30))
    return result


# --- narrow terminals --------------------------------------------------------------

@pytest.mark.parametrize("width", [60, 50])
async def test_narrow_terminal_keeps_the_path_and_readable_keys(workspace, engine, width):
    engine.default = failed(path_of(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=(width, 20)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await settle(pilot)
        rows = screen_text(app).splitlines()
        assert "exercises/01_basics/first.py" in rows[1]
        assert rows[2].startswith("failing")
        footer = rows[-1]
        for key in ("h hint", "l list", "c check all", "? help", "q quit"):
            assert key in footer


async def test_a_long_name_gives_way_to_the_path(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(40, 20)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        row = screen_text(app).splitlines()[1]
        assert row.startswith("01/03 exercises/01_basics/first.py")


# --- hints ---------------------------------------------------------------------------

async def test_hints_hide_with_H_and_come_back_with_h(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("h")
        await settle(pilot)
        assert "Hint 1 of 2" in screen_text(app)
        await pilot.press("H")
        await settle(pilot)
        assert "Hint 1 of 2" not in screen_text(app)
        assert not app.screen.query_one("#hints").display
        await pilot.press("h")
        await settle(pilot)
        assert "Hint 2 of 2" in screen_text(app) and "Hint 1 of 2" in screen_text(app)


async def test_last_hint_notes_do_not_pile_up(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("h", "h", "h", "h", "h")
        await settle(pilot)
        text = screen_text(app)
        assert text.count("That was the last hint") == 1
        assert "Hint 2 of 2: Add one to x." in text


async def test_opening_hints_at_80x24_keeps_the_failure_in_view_or_says_so(workspace, engine):
    engine.default = long_failure(workspace)
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("h", "h")
        await settle(pilot)
        text = screen_text(app)
        assert "expected 2, got 3" in text  # the failure itself stays on screen
        assert "Hint 2 of 2" in text
        assert re.search(r"▼ \d+ more line\(s\) below", text)  # and the rest is signposted
        await pilot.press("end")
        await settle(pilot)
        assert "more line(s) below" not in screen_text(app)


# --- after a verdict --------------------------------------------------------------------

async def test_a_pass_shows_the_reference_solution_and_what_the_code_printed(workspace, engine):
    solution = workspace.root / "solutions" / "01_basics" / "first.py"
    solution.parent.mkdir(parents=True)
    solution.write_text("def answer(x):\n    return x + 1  # the reference\n")
    engine.default = passed()
    engine.default.output = "hello from the learner\n"
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.solution is not None)
        await settle(pilot)
        text = screen_text(app)
        assert "Compare with the reference solution, solutions/01_basics/first.py" in text
        assert "return x + 1  # the reference" in text
        assert "What your code printed:" in text and "hello from the learner" in text


async def test_no_widget_reads_a_file_while_drawing(workspace, engine, monkeypatch):
    # Reading the solution may run `git show` (10 s at worst): only a worker may do it.
    # Here it blocks until released and fails on the UI thread; the verdict must be
    # on screen while it blocks, and the solution must come in once it is released.
    import threading

    release = threading.Event()
    ui_thread = threading.current_thread()
    calls = []

    def solution_text(exercise):  # noqa: ANN001, ANN202
        assert threading.current_thread() is not ui_thread, "solution read while drawing"
        calls.append(exercise.name)
        release.wait(10)
        return "def answer(x):\n    return x + 1  # read in a worker\n"

    monkeypatch.setattr(workspace, "solution_text", solution_text)
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: calls == ["first"])
        await settle(pilot)
        assert "passes" in app.status_text and "✓ adds one" in screen_text(app)
        assert "read in a worker" not in screen_text(app)
        release.set()
        await wait_for(pilot, lambda: app.solution is not None)
        await settle(pilot)
        assert "read in a worker" in screen_text(app)


async def test_a_failure_shows_what_the_code_printed_and_no_solution(workspace, engine):
    result = failed(path_of(workspace, "first"))
    result.output = "shape is (3, 4)\n"
    engine.default = result
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        text = screen_text(app)
        assert "What your code printed:" in text and "shape is (3, 4)" in text
        assert "reference solution" not in text


async def test_brackets_in_a_verdict_are_not_markup(workspace, engine):
    outcome = Outcome("test_mask", "failed", doc="rewards[dones] keeps the last steps",
                          exc_type="AssertionError", message="x[mask] is wrong")
    engine.default = CheckResult(Status.FAILED, summary="rewards[dones] differs", tests=[outcome])
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        text = screen_text(app)
        assert "rewards[dones] differs" in text and "x[mask] is wrong" in text


async def test_quitting_leaves_a_summary_of_the_last_verdict(workspace, engine):
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("q")
    assert app.return_value == (
        "torchlings: done — 01 first passes; next: 02 second\n"
        "  01/03 first: exercises/01_basics/first.py\n"
        "  1 of 3 exercises done.")


# --- help: the welcome text after the first verdict, and every key ------------------------

async def test_help_shows_the_welcome_and_every_key(workspace, engine):
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "Welcome to the test course." not in screen_text(app)  # the verdict replaced it
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        assert "Welcome to the test course." in text
        for line in ("H   hide hints", "r   re-run", "x   reset", "e   edit", "n   next"):
            assert line in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))


# --- the first torch.compile ----------------------------------------------------------------

async def test_a_torch_compile_exercise_says_it_may_take_a_while(workspace, engine):
    catalog = workspace.root / "exercises" / "info.toml"
    catalog.write_text(catalog.read_text().replace(
        'name = "first"', 'name = "first"\nuses_compile = true'))
    workspace = Workspace.open(workspace.root)
    gate = engine.hold()
    app = make_app(workspace, engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: engine.calls == ["first"])
        assert "the first torch.compile can take up to 30 s" in app.status_text
        assert "the first torch.compile can take up to 30 s" in screen_text(app)
        gate.set()
        await wait_for(pilot, lambda: app.result is not None)
        engine.gate = gate = engine.hold()
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 2)
        assert "torch.compile" not in app.status_text  # only the first one is slow
        gate.set()


# --- NO_COLOR ------------------------------------------------------------------------------

async def test_no_color_is_readable_with_weight_and_symbols(workspace, engine, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    engine.default = failed(path_of(workspace, "first"))
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        svg = app.export_screenshot()
        text = screen_text(app)
    assert app.no_color
    styles = dict(re.findall(r"\.(terminal-\d+-r\d+) \{ fill: (#[0-9a-f]{6})", svg))
    drawn = re.findall(r'<text class="([\w-]+)"[^>]*clip-path[^>]*>([^<]*)</text>', svg)
    backgrounds = re.findall(r'<rect fill="(#[0-9a-f]{6})"', svg)
    # No colour of the app's own, not even greys: the SVG export draws the terminal's
    # one default foreground and one default background wherever the app sets none.
    assert len(set(backgrounds)) == 1, set(backgrounds)
    fills = {styles[cls] for cls, content in drawn
             if content.replace("&#160;", "").strip("━─╺╸ \n")}
    assert len(fills) == 1, fills
    assert "✗ answer(1) is 2" in text and "❱ 6" in text  # the symbols carry the meaning
    assert re.search(r"\.terminal-\d+-r\d+ \{ fill: #[0-9a-f]{6};font-weight: bold", svg)


async def test_progress_that_cannot_be_saved_is_said_once(workspace, engine, monkeypatch):
    monkeypatch.setattr(workspace.store, "read_only", False)

    def refuse(state) -> bool:  # noqa: ANN001
        message = "Could not save progress (read-only folder)."
        if message not in workspace.store.warnings:
            workspace.store.warnings.append(message)
        return False

    monkeypatch.setattr(workspace.store, "save", refuse)
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(engine.calls) == 2 and not app.checking)
        await settle(pilot)
        assert screen_text(app).count("Could not save progress") == 1

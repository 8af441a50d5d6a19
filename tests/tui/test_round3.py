"""Small trips a new learner met in the watch screen (issue 21, items 7 and 9)."""

from __future__ import annotations

from tui_helpers import passed, screen_text, settle, toasts, wait_for

from torchlings.tui import TorchlingsApp, WatchOptions

SIZE = (100, 30)


def make_app(workspace, engine, **options) -> TorchlingsApp:
    options.setdefault("manual_run", True)
    return TorchlingsApp(workspace, engine, WatchOptions(**options))


async def test_deleting_the_current_exercise_is_noticed_and_x_brings_it_back(workspace, engine):
    target = workspace.exercise_path(workspace.current())
    app = make_app(workspace, engine, manual_run=False, debounce=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        target.unlink()
        await wait_for(pilot, lambda: len(engine.calls) == 2, timeout=10)  # no `r` needed
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: any("Brought back" in t for t in toasts(app)))
        assert target.is_file()
        assert not any("already is the shipped version" in t for t in toasts(app))


async def test_what_stays_after_q_does_not_ask_for_a_key_that_is_gone(workspace, engine):
    engine.default = passed()
    app = make_app(workspace, engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        assert "Press n for 02 second" in screen_text(app)
        await pilot.press("q")
        await settle(pilot)
    summary = app.return_value
    assert "Press n" not in summary
    assert "01 first passes" in summary and "next: 02 second" in summary


async def test_no_color_sends_no_colour_at_all(workspace, engine, monkeypatch):
    import io

    from rich.console import Console
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(workspace, engine)
    grey_on_dark = [Segment("x", Style(color="#a0a0a0", bgcolor="#1e1e1e", bold=True))]
    for line_filter in app._filters:  # what every line goes through on its way out
        grey_on_dark = line_filter.apply(grey_on_dark, Color(30, 30, 30))
    out = io.StringIO()
    # no_color=False: what the screen's own filters leave, not what Rich would strip.
    console = Console(file=out, force_terminal=True, color_system="256", no_color=False)
    console.print(grey_on_dark[0].text, style=grey_on_dark[0].style, end="")
    sent = out.getvalue()
    assert sent.startswith("\x1b[1;")  # weight stays; colours are the terminal's own (39, 49)
    assert "38;5" not in sent and "48;5" not in sent and "38;2" not in sent, repr(sent)


async def test_help_wraps_the_welcome_by_paragraph_not_mid_line(workspace, engine):
    from torchlings.tui.prose import reflow

    welcome = ("Welcome to a course whose welcome text was wrapped at seventy-eight columns,\n"
               "as the catalog writes it, which is wider than the help box.\n\n"
               "A second paragraph.")
    assert reflow(welcome) == ("Welcome to a course whose welcome text was wrapped at "
                               "seventy-eight columns, as the catalog writes it, which is wider "
                               "than the help box.\n\nA second paragraph.")
    object.__setattr__(workspace.course, "welcome", welcome)
    app = make_app(workspace, engine)
    async with app.run_test(size=(80, 30)) as pilot:
        await wait_for(pilot, lambda: app.result is not None)
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_text(app)
        # "columns," ended a line in the catalog; reflowed, the box wraps it elsewhere.
        assert "A second paragraph." in text, text
        lines = [line[2:].strip(" █") for line in text.splitlines()]  # inside the box
        # Shown as written, the first line breaks in the box, leaving "columns," alone on
        # a line; the catalog's second line then starts a line of its own.
        assert not any(line.startswith("as the catalog") for line in lines), text


def test_many_to_do_after_check_all_is_counted_not_listed():
    from tui_helpers import errored, failed

    from torchlings.course import Exercise
    from torchlings.tui.screens.check_all import still_to_do

    many = [(Exercise(f"ex{i}", "01", i, ()), failed() if i % 3 else errored())
            for i in range(1, 63)]
    said = still_to_do(many)
    assert said.startswith("62 exercises (42 failing, 20 error); the first: 01 ex1 (failing)")
    assert said.count("(failing)") <= 3
    few = still_to_do(many[:2])
    assert few == "01 ex1 (failing), 02 ex2 (failing)"

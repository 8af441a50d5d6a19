"""What a new learner meets on the command line: help, options, hints, reset, paths."""

from __future__ import annotations

import json
import re
import tomllib
from contextlib import contextmanager

from tests.conftest import REPO, invoke, read_state, solve


def test_every_hint_of_the_course_is_printed_as_written(tmp_path, monkeypatch):
    """No hint loses `x[a:b]` or `rewards[dones]` to markup: all of them, against the catalog."""
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert invoke("init", "course").exit_code == 0
    monkeypatch.chdir(tmp_path / "course")
    catalog = tomllib.loads((REPO / "exercises" / "info.toml").read_text(encoding="utf-8"))
    bracketed = 0
    for number, entry in enumerate(catalog["exercises"], start=1):
        result = invoke("hint", str(number), "--all")
        assert result.exit_code == 0
        for index, hint in enumerate(entry.get("hints", []), start=1):
            assert f"{index}. {hint.strip()}" in result.output, (entry["name"], hint)
            bracketed += "[" in hint
    assert bracketed >= 3  # the course has hints with code in brackets, and they survive


def test_watch_options_work_on_the_bare_command(workspace, monkeypatch):
    seen = {}

    class FakeApp:
        def __init__(self, workspace, engine, options):
            seen["options"] = options
            seen["engine"] = engine

        def run(self):
            seen["ran"] = True

    @contextmanager
    def fake_engine(no_warm):
        yield f"engine(no_warm={no_warm})"

    monkeypatch.setattr("torchlings.cli.commands.plain_reason", lambda: "")
    monkeypatch.setattr("torchlings.cli.commands.engine_for", fake_engine)
    monkeypatch.setattr("torchlings.tui.TorchlingsApp", FakeApp)
    result = invoke("--poll", "--manual-run", "--edit-cmd", "vim {path}", "--no-warm")
    assert result.exit_code == 0, result.output
    options = seen["options"]
    assert (options.poll, options.manual_run, options.edit_cmd) == (True, True, "vim {path}")
    assert seen["engine"] == "engine(no_warm=True)" and seen["ran"]


def test_watch_options_before_another_command_are_a_usage_error(workspace):
    result = invoke("--poll", "list")
    assert result.exit_code == 2
    assert "watch screen's options" in result.output and "torchlings list --help" in result.output


def test_help_command_and_help_option_agree():
    assert invoke("help").output == invoke("--help").output
    verify = invoke("help", "verify")
    assert verify.exit_code == 0 and "--junit-xml" in verify.output
    assert re.search(r"Usage: \w+ verify \[OPTIONS\]", verify.output)
    assert invoke("help", "dev", "check").output == invoke("dev", "check", "--help").output
    unknown = invoke("help", "nope")
    assert unknown.exit_code == 2 and "torchlings help" in unknown.output


def test_help_lists_the_learners_commands_first_in_full_and_the_watch_keys():
    text = invoke("--help").output
    commands = re.findall(r"^  (\w+)  ", text.split("Commands:")[1], flags=re.M)
    assert commands[:8] == ["watch", "run", "hint", "list", "verify", "reset", "solution", "init"]
    assert text.index("For course authors:") > text.index("Commands:")
    assert "dev" in text.split("For course authors:")[1]
    assert "..." not in text.split("Commands:")[1]  # no description cut short
    assert "Check every exercise (or the ones given) and summarise; exit 1 if any fails." \
        in " ".join(text.split())
    for key in ("h  the next hint", "n  next exercise", "q  quit", "c  check them all"):
        assert key in text
    for option in ("--poll", "--manual-run", "--edit-cmd", "--no-warm"):
        assert option in text


def test_term_dumb_gets_a_plain_check_not_the_full_screen_app(workspace, monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    result = invoke()
    assert "TERM=dumb" in result.output and "full-screen watch cannot run" in result.output
    assert "Checking 01 add" in result.output and "not done" in result.output
    assert result.exit_code == 1


def test_reset_says_what_happens_before_asking(workspace, monkeypatch):
    monkeypatch.setattr("torchlings.cli.commands.stdin_is_terminal", lambda: True)
    solve(workspace, "add")
    assert invoke("run", "add").exit_code == 0
    declined = invoke("reset", "add", input="n\n")
    assert declined.exit_code == 1
    before_question = declined.output.split("Reset it?")[0]
    assert "Reset puts the shipped version of" in before_question
    assert "add.py back" in before_question and ".torchlings/backups/" in before_question
    assert "01 add is solved; after the reset it counts as pending" in before_question
    assert read_state(workspace)["done"] == ["add"]  # nothing happened
    accepted = invoke("reset", "add", input="y\n")
    assert accepted.exit_code == 0 and "01 add is pending again." in accepted.output
    assert read_state(workspace)["done"] == []


def test_paths_are_relative_to_where_the_learner_stands(workspace, monkeypatch):
    monkeypatch.chdir(workspace / "exercises" / "01_basics")
    result = invoke("run")
    assert "Checking 01 add (add.py)" in result.output
    assert "Not done yet: add.py:6" in result.output
    listed = invoke("list").output
    assert re.search(r"01 add\s+· pending\s+add.py", listed)
    assert "../../checks" not in listed


def test_a_misspelt_name_gets_the_close_one_and_the_excerpt_is_what_ran(workspace):
    target = workspace / "exercises/01_basics/add.py"
    target.write_text("import math\n\n\ndef add(a, b):\n    return math.sqroot(a) + b\n")
    result = invoke("run", "add")
    assert result.exit_code == 1
    assert "'math' has no attribute 'sqroot': check the spelling. Did you mean 'sqrt'?" \
        in result.output
    assert re.search(r"❱ 5     return math.sqroot\(a\) \+ b", result.output)


def test_check_modified_is_shown_in_the_verdict():
    from rich.console import Console

    from torchlings.course import Exercise
    from torchlings.engine import CheckResult, Status
    from torchlings.learner.report import headline

    result = CheckResult(Status.PASSED, summary="1 of 1 passed")
    result.check_modified = True  # the engine's flag
    console = Console(record=True, width=120)
    console.print(headline(Exercise("add", "01", 1, ()), result))
    assert "the check file was changed: not the course's verdict" in console.export_text()


def test_verify_json_flags_an_edited_check(workspace):
    check = workspace / "checks/01_basics/test_double.py"
    check.write_text(check.read_text() + "\n# edited\n")
    data = json.loads(invoke("verify", "--json").stdout)
    flags = {row["name"]: row["checks_modified"] for row in data["exercises"]}
    assert flags == {"add": False, "double": True, "halve": False}


def test_the_install_script_refuses_an_old_python_clearly(tmp_path):
    import subprocess

    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Python 3.8.10'; exit 0; fi\n"
                    "exit 1\n")
    fake.chmod(0o755)
    done = subprocess.run(["sh", str(REPO / "torchlings.sh"), "start"], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "PYTHON": str(fake)}, timeout=30)
    assert done.returncode == 1
    assert "needs Python 3.11 or newer" in done.stderr and "Python 3.8.10" in done.stderr
    usage = subprocess.run(["sh", str(REPO / "torchlings.sh")], capture_output=True, text=True,
                           timeout=30)
    assert usage.returncode == 2 and "./torchlings.sh start" in usage.stderr


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\n./torchlings.sh start\n" in readme and "\n./torchlings.sh test\n" in readme
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "\n./torchlings.sh test\n" in ci


def test_a_learners_workspace_is_ignored_by_git():
    import subprocess

    done = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q",
                           "workspace/exercises/info.toml"], timeout=30)
    assert done.returncode == 0


def test_no_color_on_a_terminal_has_no_colour_and_no_dim_text(workspace, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich: treat the captured output as a terminal
    monkeypatch.setenv("TERM", "xterm-256color")
    coloured = invoke("run").output
    assert re.search(r"\x1b\[[0-9;]*3[1-7]m", coloured)
    monkeypatch.setenv("NO_COLOR", "1")
    plain = invoke("run").output
    assert not re.search(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m", plain)
    assert "\x1b[2m" not in plain and "\x1b[1m" in plain
    assert "Not done yet" in plain and "❱" in plain


def test_reset_check_puts_a_deleted_check_back_and_leaves_the_exercise(workspace):
    check = workspace / "checks" / "01_basics" / "test_add.py"
    exercise = workspace / "exercises" / "01_basics" / "add.py"
    shipped = check.read_bytes()
    exercise.write_text("# my own work\n")
    check.unlink()
    ran = invoke("run", "1")
    assert "is missing" in ran.output and "torchlings reset add --check" in ran.output
    result = invoke("reset", "add", "--check")
    assert result.exit_code == 0, result.output
    assert "Put back the missing check" in result.output
    assert check.read_bytes() == shipped
    assert exercise.read_text() == "# my own work\n"  # the learner's file is untouched


def test_reset_without_an_exercise_resets_the_current_one_after_asking(workspace, monkeypatch):
    monkeypatch.setattr("torchlings.cli.commands.stdin_is_terminal", lambda: True)
    mine = workspace / "exercises/01_basics/add.py"
    mine.write_text("# my attempt\n")
    declined = invoke("reset", input="n\n")
    assert declined.exit_code == 1 and mine.read_text() == "# my attempt\n"
    assert "the current exercise, 01 add:" in declined.output.split("Reset it?")[0]
    accepted = invoke("reset", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "my attempt" not in mine.read_text() and "Your version is kept at" in accepted.output


def test_a_deleted_exercise_names_the_reset_that_works_and_reset_says_it_came_back(workspace):
    mine = workspace / "exercises/01_basics/double.py"
    mine.unlink()
    checked = invoke("run", "double")
    assert "`torchlings reset double`" in checked.output
    assert invoke("reset", "double", "--yes").exit_code == 0  # the command it named works
    assert mine.is_file()
    mine.unlink()
    said = invoke("reset", "double", "--yes").output
    assert "Brought back" in said and "is the shipped version" not in said


def test_a_pass_points_to_the_reference_solution(workspace):
    solve(workspace, "add")
    result = invoke("run", "add")
    assert result.exit_code == 0
    assert "Compare with the reference solution: `torchlings solution 01`" in result.output
    assert invoke("solution", "01").exit_code == 0  # and that command works now


def test_part_of_a_name_suggests_that_name_first(tmp_path, monkeypatch):
    from torchlings.course import UnknownExercise, load_course

    course = load_course(REPO)
    try:
        course.resolve("creating")
    except UnknownExercise as exc:
        assert exc.suggestions[0] == "01 creating_tensors", exc.suggestions
    else:
        raise AssertionError("`creating` is not a whole name")

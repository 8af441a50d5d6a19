"""Every command through click's test runner, on the small test course."""

import json

import pytest

from tests.conftest import invoke, read_state, solve, tree_snapshot
from torchlings import __version__


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_every_command_has_help():
    for command in ("run", "hint", "verify", "list", "reset", "solution", "init", "watch",
                    "dev", "dev check"):
        result = invoke(*command.split(), "--help")
        assert result.exit_code == 0, command
        assert "Usage:" in result.output


def test_list_marks_the_current_exercise(workspace):
    result = invoke("list")
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.startswith("→ 01 add") and "pending" in first
    data = json.loads(invoke("list", "--json").output)
    assert data["total"] == 3 and data["done"] == 0
    assert data["exercises"][0] == {"number": "01", "name": "add", "status": "pending",
                                    "current": True, "path": "exercises/01_basics/add.py"}


def test_run_an_unfinished_exercise_says_not_done_and_exits_1(workspace):
    result = invoke("run")
    assert result.exit_code == 1
    assert "not done" in result.output
    assert "exercises/01_basics/add.py:6" in result.output
    assert "torchlings hint 01" in result.output


@pytest.mark.real_engines
def test_run_a_solved_exercise_records_it_and_moves_on(workspace):
    solve(workspace, "add")
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert "done" in result.output and "Next: 02 double" in result.output
    state = read_state(workspace)
    assert state["done"] == ["add"] and state["current"] == "double"


def test_run_a_named_exercise(workspace):
    solve(workspace, "halve")
    assert invoke("run", "3").exit_code == 0
    assert read_state(workspace)["done"] == ["halve"]
    # Checking another exercise by number does not move the learner's place.
    assert json.loads(invoke("list", "--json").output)["exercises"][0]["current"]


def test_a_broken_solution_loses_its_done_mark(workspace):
    solve(workspace, "add")
    invoke("run", "add")
    (workspace / "exercises/01_basics/add.py").write_text("def add(a, b):\n    return a - b\n")
    result = invoke("run", "add")
    assert result.exit_code == 1
    assert "add(2, 3) is -1, expected 5." in result.output
    assert read_state(workspace)["done"] == []


def test_hint_reveals_one_more_each_time_and_remembers(workspace):
    first = invoke("hint", "01")
    assert first.exit_code == 0
    assert "1. Use the plus sign." in first.output and "return a + b" not in first.output
    second = invoke("hint", "01")
    assert "2. return a + b" in second.output
    assert read_state(workspace)["hints_seen"] == {"add": 2}
    again = invoke("hint", "01")
    assert "last hint" in again.output


def test_hint_all(workspace):
    result = invoke("hint", "double", "--all")
    assert "1. Multiply by two." in result.output and "2. return t * 2" in result.output


def test_hint_for_an_unknown_exercise_exits_2_with_a_suggestion(workspace):
    result = invoke("hint", "99")
    assert result.exit_code == 2
    assert "no exercise '99'" in result.output and "03 halve" in result.output
    result = invoke("hint", "ad")
    assert result.exit_code == 2 and "01 add" in result.output


def test_verify_json_reports_every_exercise(workspace):
    result = invoke("verify", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["total"] == 3 and data["passed"] == 0
    assert [row["status"] for row in data["exercises"]] == ["not_done"] * 3
    row = data["exercises"][0]
    assert set(row) == {"number", "name", "path", "status", "seconds", "message", "checks_modified",
                        "series", "episode"}
    assert row["checks_modified"] is False and row["series"] == {} and row["episode"] is None
    assert row["number"] == "01" and row["path"] == "exercises/01_basics/add.py"


def test_verify_json_carries_the_curves_a_check_plotted(workspace):
    # A check that records a series (as a capstone records each episode's return)
    # hands the same figures to a program reading verify --json.
    solve(workspace, "add")
    check = workspace / "checks/01_basics/test_add.py"
    check.write_text(check.read_text() + (
        "\n\ndef test_curve(exercise):\n"
        "    from torchlings.checkapi.testing import record_point\n"
        "    for value in (10.0, 50.0, 200.0):\n"
        "        record_point('return', value)\n"
    ))
    data = json.loads(invoke("verify", "add", "--json").stdout)
    assert data["exercises"][0]["series"] == {"return": [10.0, 50.0, 200.0]}


def test_verify_json_carries_the_episode_a_check_recorded(workspace):
    # A capstone records its trained agent playing; a program reading verify --json gets it too.
    solve(workspace, "add")
    check = workspace / "checks/01_basics/test_add.py"
    check.write_text(check.read_text() + (
        "\n\ndef test_plays(exercise):\n"
        "    from torchlings.checkapi.testing import record_episode\n"
        "    record_episode('Pendulum-v1', [[1.0, 0.0, 0.5], [0.9, 0.1, 0.4]], [[2.0], [-1.5]],\n"
        "                   [-0.25, -0.5])\n"
    ))
    data = json.loads(invoke("verify", "add", "--json").stdout)
    assert data["exercises"][0]["episode"] == {
        "env_id": "Pendulum-v1", "observations": [[1.0, 0.0, 0.5], [0.9, 0.1, 0.4]],
        "actions": [[2.0], [-1.5]], "rewards": [-0.25, -0.5]}


@pytest.mark.real_engines
def test_verify_passes_once_everything_is_solved(workspace):
    for name in ("add", "double", "halve"):
        solve(workspace, name)
    result = invoke("verify")
    assert result.exit_code == 0, result.output
    assert "3 of 3 exercises pass" in result.output
    assert sorted(read_state(workspace)["done"]) == ["add", "double", "halve"]


def test_verify_some(workspace):
    solve(workspace, "double")
    result = invoke("verify", "2", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total"] == 1


def test_reset_restores_and_keeps_a_backup(workspace):
    target = workspace / "exercises/01_basics/add.py"
    original = target.read_text()
    target.write_text("# my attempt\n")
    result = invoke("reset", "add", "--yes")
    assert result.exit_code == 0
    assert target.read_text() == original
    backups = list((workspace / ".torchlings" / "backups").glob("add-*.py"))
    assert len(backups) == 1 and backups[0].read_text() == "# my attempt\n"
    assert str(backups[0].relative_to(workspace)) in result.output


def test_reset_without_a_terminal_needs_yes_and_changes_nothing(workspace):
    target = workspace / "exercises/01_basics/add.py"
    target.write_text("# my attempt\n")
    result = invoke("reset", "add")
    assert result.exit_code == 2 and "--yes" in result.output
    assert target.read_text() == "# my attempt\n"


def test_reset_brings_back_a_deleted_exercise(workspace):
    target = workspace / "exercises/01_basics/add.py"
    original = target.read_text()
    target.unlink()
    assert invoke("reset", "add", "--yes").exit_code == 0
    assert target.read_text() == original


def test_solution_is_withheld_until_solved(workspace):
    result = invoke("solution", "add")
    assert result.exit_code == 1 and "--force" in result.output
    forced = invoke("solution", "add", "--force")
    assert forced.exit_code == 0 and "return a + b" in forced.stdout
    assert "not solved" in forced.output
    solve(workspace, "add")
    invoke("run", "add")
    shown = invoke("solution", "add")
    assert shown.exit_code == 0 and "return a + b" in shown.stdout


def test_outside_a_workspace_every_command_says_how_to_start(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    for command in (["list"], ["run"], ["hint"], ["verify"]):
        result = invoke(*command)
        assert result.exit_code == 2, command
        assert "torchlings init" in result.output


def test_init_writes_a_workspace_without_solutions(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = invoke("init")
    assert result.exit_code == 0, result.output
    made = tmp_path / "torchlings"
    assert (made / "exercises" / "info.toml").is_file()
    assert list((made / "checks").rglob("test_*.py"))
    assert not (made / "solutions").exists()
    assert ".torchlings/" in (made / ".gitignore").read_text()
    monkeypatch.chdir(made)
    listed = invoke("list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.output)["done"] == 0


def test_init_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    target = tmp_path / "ws"
    assert invoke("init", str(target)).exit_code == 0
    (target / "exercises" / "info.toml").write_text("# mine\n")
    before = tree_snapshot(target)
    result = invoke("init", str(target))
    assert result.exit_code == 2 and "already" in result.output
    assert tree_snapshot(target) == before
    other = tmp_path / "busy"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    result = invoke("init", str(other))
    assert result.exit_code == 2 and "not empty" in result.output
    assert (other / "notes.txt").read_text() == "keep me"


def test_reordering_the_catalog_loses_no_progress(workspace):
    solve(workspace, "add")
    assert invoke("run", "add").exit_code == 0
    invoke("hint", "halve")
    catalog = workspace / "exercises/info.toml"
    text = catalog.read_text()
    head, *entries = text.split("[[exercises]]")
    catalog.write_text(head + "[[exercises]]" + "[[exercises]]".join(reversed(entries)))
    rows = {row["name"]: row for row in json.loads(invoke("list", "--json").output)["exercises"]}
    assert rows["add"]["number"] == "03" and rows["add"]["status"] == "done"
    assert rows["halve"]["number"] == "01"
    assert read_state(workspace)["hints_seen"] == {"halve": 1}


@pytest.mark.real_engines
def test_run_checks_in_a_fresh_process_and_verify_on_the_warm_worker(workspace, monkeypatch):
    from torchlings.cli import common as cli_common

    picked = []
    real = cli_common.make_engine

    def recording(warm: bool = True, one_shot: bool = False):
        engine = real(warm=warm, one_shot=one_shot)
        picked.append(engine.name)
        return engine

    monkeypatch.setattr(cli_common, "make_engine", recording)
    solve(workspace, "add")
    assert invoke("run", "add").exit_code == 0
    assert invoke("verify", "add").exit_code == 0
    # One check: a warm worker would import torch and then fork, which costs
    # more than one fresh process. Many: the warm worker.
    assert picked == ["subprocess", "warm"]

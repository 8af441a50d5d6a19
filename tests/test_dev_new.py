"""`dev new` (an exercise, a course), courses of one's own, and AUTHORING.md's walkthrough."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import REPO, invoke
from torchlings.course import CourseError, load_course


def test_a_new_exercise_is_sound_at_once(workspace: Path):
    made = invoke("dev", "new", "my_first", "--dir", "10_mine")
    assert made.exit_code == 0, made.output
    # The guide is not in a course of one's own: the message says where it lives.
    assert "docs/AUTHORING.md in the torchlings repository" in made.output
    course = load_course(workspace)
    entry = course.by_name("my_first")
    assert entry is not None and entry.dir == "10_mine" and len(entry.hints) >= 2
    for rel in (entry.exercise_rel, entry.check_rel, entry.solution_rel, entry.variants_rel):
        assert (workspace / rel).is_file(), rel
    # The catalog keeps its comments and earlier entries: the new one is appended.
    assert [e.name for e in course.exercises] == ["add", "double", "halve", "my_first"]

    checked = invoke("dev", "check", "--json", "my_first")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)["exercises"][0]
    assert report["exercise_fails"] and report["solution_passes"]
    assert report["wrong_variants"]["total"] >= 2
    assert report["wrong_variants"]["rejected"] == report["wrong_variants"]["total"]
    assert report["right_variants"] == {"total": 1, "accepted": 1}
    # Sound with no warning: the starter is the model teachers copy, so its check goes
    # through the contract harness (else `dev check` warns about the starter itself).
    assert report["harnessed"]
    plain = invoke("dev", "check", "my_first")
    assert plain.exit_code == 0 and "warning" not in plain.output, plain.output


def test_the_starter_check_tells_a_wrong_answer_from_a_right_one(workspace: Path):
    """The scaffolded check is a real check: an answer that sums fails, one that averages passes."""
    assert invoke("dev", "new", "my_first", "--dir", "10_mine").exit_code == 0
    exercise = workspace / "exercises/10_mine/my_first.py"
    source = (workspace / "solutions/10_mine/my_first.py").read_text()
    exercise.write_text(source.replace(".mean()", ".sum()"))
    summed = invoke("run", "my_first")
    assert summed.exit_code != 0
    # The starter's variant `says` names the mistake, as the guide asks, and the check says it.
    assert "sum of the squared differences, not their mean" in summed.output
    exercise.write_text(source.replace("((prediction - target) ** 2).mean()",
                                       "(prediction - target).pow(2).sum() / prediction.numel()"))
    assert invoke("run", "my_first").exit_code == 0


@pytest.mark.parametrize(("args", "says"), [
    (("add", "--dir", "01_basics"), "already has an exercise named 'add'"),
    (("other", "--dir", "1basics"), "does not fit the chapter folder rule"),
    (("other", "--dir", "10_Mine"), "does not fit the chapter folder rule"),
    (("Other-one", "--dir", "10_mine"), "cannot name an exercise"),
    (("other",), "Give the exercise a name and its chapter folder"),
])
def test_dev_new_refuses_with_a_clear_message_and_writes_nothing(workspace: Path, args, says):
    catalog_before = (workspace / "exercises/info.toml").read_text()
    files_before = sorted(p for p in workspace.rglob("*") if ".git" not in p.parts)
    result = invoke("dev", "new", *args)
    assert result.exit_code != 0
    assert says in result.output
    assert (workspace / "exercises/info.toml").read_text() == catalog_before
    assert sorted(p for p in workspace.rglob("*") if ".git" not in p.parts) == files_before


def test_a_course_of_ones_own_from_scaffold_to_a_learners_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    course = tmp_path / "my-course"
    assert invoke("dev", "new", "--course", str(course)).exit_code == 0
    for rel in ("exercises/info.toml", "README.md", "check.sh", "tests/variants"):
        assert (course / rel).exists(), rel
    loaded = load_course(course)
    assert loaded.welcome and loaded.final and len(loaded.exercises) == 1

    monkeypatch.chdir(course)
    checked = invoke("dev", "check", "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["sound"]

    learner = tmp_path / "learner"
    made = invoke("init", str(learner), "--course", str(course))
    assert made.exit_code == 0, made.output
    assert not (learner / "solutions").exists()
    monkeypatch.chdir(learner)
    pending = invoke("verify", "--json")
    assert pending.exit_code == 1  # pending: the example is not solved yet
    assert json.loads(pending.stdout)["exercises"][0]["status"] == "not_done"
    # `solution` and `reset` read from the course the workspace was made from.
    (learner / "exercises/01_start/mean_squared_error.py").write_text(
        (course / "solutions/01_start/mean_squared_error.py").read_text())
    assert invoke("run", "1").exit_code == 0
    shown = invoke("solution", "1")
    assert "((prediction - target) ** 2).mean()" in shown.output

    # A teacher grades the learner against the same course, not the installed one
    # (with an answer of the learner's own: a copy of the reference is flagged).
    (learner / "exercises/01_start/mean_squared_error.py").write_text(
        "import torch\n\n\ndef mean_squared_error(prediction, target):\n"
        "    return (prediction - target).pow(2).mean()\n")
    monkeypatch.chdir(tmp_path)
    graded = invoke("grade", "--course", str(course), "--json", str(learner))
    assert graded.exit_code == 0, graded.output
    report = json.loads(graded.stdout)
    text = json.dumps(report)
    assert "mean_squared_error" in text and "creating_tensors" not in text


def test_a_course_says_which_torchlings_it_needs(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    course = tmp_path / "future"
    assert invoke("dev", "new", "--course", str(course)).exit_code == 0
    catalog = course / "exercises/info.toml"
    catalog.write_text(re.sub(r'requires_torchlings = "[^"]*"', 'requires_torchlings = ">=999"',
                              catalog.read_text()))
    with pytest.raises(CourseError, match=r"needs torchlings >=999.*pip install"):
        load_course(course)
    refused = invoke("init", str(tmp_path / "ws"), "--course", str(course))
    assert refused.exit_code != 0 and "needs torchlings >=999" in refused.output
    assert not (tmp_path / "ws").exists()
    catalog.write_text(re.sub(r'requires_torchlings = "[^"]*"', 'requires_torchlings = "soon"',
                              catalog.read_text()))
    with pytest.raises(CourseError, match="version specifier"):
        load_course(course)


def _walkthrough_commands() -> list[list[str]]:
    text = (REPO / "docs/AUTHORING.md").read_text()
    section = text.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    lines = [line[2:] for line in section.splitlines() if line.startswith("$ torchlings ")]
    return [shlex.split(line)[1:] for line in lines]


def test_the_authoring_walkthrough_runs_as_written(workspace: Path, monkeypatch, tmp_path):
    """Every `$ torchlings` line of AUTHORING.md's walkthrough, in order, on a copy of a course."""
    commands = _walkthrough_commands()
    assert [c[:2] for c in commands][:2] == [["dev", "new"], ["dev", "check"]]
    assert len(commands) >= 4
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    for args in commands:
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)

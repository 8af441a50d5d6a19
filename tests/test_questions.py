"""Every question in the course offers on screen exactly the options its exercise file lists."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO, invoke
from torchlings.course import load_course


def _choice_calls(check_source: str) -> list[dict[str, str]]:
    """The `choices={...}` literals of every expect_choice call in a check."""
    found = []
    for node in ast.walk(ast.parse(check_source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "expect_choice":
            for keyword in node.keywords:
                if keyword.arg == "choices":
                    found.append(ast.literal_eval(keyword.value))
    return found


def _comment_text(exercise_source: str) -> str:
    """The file's comments as one line of words (an option may wrap onto the next line)."""
    comments = [line.strip().removeprefix("#") for line in exercise_source.splitlines()
                if line.strip().startswith("#")]
    return " ".join(" ".join(comments).split())


QUESTIONS = [
    (exercise, choices)
    for exercise in load_course(REPO).exercises
    for choices in _choice_calls((REPO / exercise.check_rel).read_text(encoding="utf-8"))
]


def test_the_course_has_questions():
    assert len(QUESTIONS) >= 8


@pytest.mark.parametrize(("exercise", "choices"), QUESTIONS, ids=[e.name for e, _ in QUESTIONS])
def test_the_options_read_as_in_the_exercise_file(exercise, choices):
    text = _comment_text((REPO / exercise.exercise_rel).read_text(encoding="utf-8"))
    for key, option in choices.items():
        assert f'"{key}": {" ".join(option.split())}' in text, (exercise.name, key, option)


def test_an_unanswered_question_says_only_that(workspace):
    # Another part failing makes the verdict "failing", as in the course's first questions.
    answer = workspace / "exercises/01_basics/add.py"
    answer.write_text(answer.read_text() + "\nANSWER = None\n")
    (workspace / "checks/01_basics/test_add.py").write_text(
        "from torchlings.checkapi.testing import expect_choice, fail\n\n\n"
        "def test_question(exercise):\n"
        "    expect_choice(exercise, 'ANSWER', correct='a', why='.',\n"
        "                  choices={'a': 'the first', 'b': 'the second'})\n\n\n"
        "def test_other(exercise):\n"
        "    fail('something else is wrong')\n"
    )
    shown = invoke("run", "add").output
    assert "The question is not answered yet: set ANSWER to one of" in shown
    assert "'a': the first" in shown and "'b': the second" in shown
    assert "inside PyTorch" not in shown and "The check was calling" not in shown, shown

"""dev check: its verdicts on the test course, and on the real course (as CI runs it)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, invoke
from torchlings.authoring.dev_check import apply_edits
from torchlings.course import load_course


def test_edits_must_match_exactly_once():
    assert apply_edits("a = 1\nb = 1\n", [{"old": "a = 1", "new": "a = 2"}]) == ("a = 2\nb = 1\n", "")
    source, problem = apply_edits("x = 1\nx = 1\n", [{"old": "x = 1", "new": "y"}])
    assert source is None and "occurs 2 times" in problem
    source, problem = apply_edits("x = 1\n", [{"old": "nope", "new": "y"}])
    assert source is None and "does not occur" in problem
    assert apply_edits("x", [])[0] is None


def test_a_sound_course_is_reported_sound(workspace):
    result = invoke("dev", "check", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sound"] and data["problems"] == []
    first = data["exercises"][0]
    assert first["exercise_fails"] and first["solution_passes"]
    assert first["wrong_variants"] == {"total": 2, "rejected": 2}
    assert first["right_variants"] == {"total": 1, "accepted": 1}


def test_every_kind_of_unsound_exercise_is_named(workspace):
    # The shipped exercise already passes; a wrong variant is in fact right; a right
    # variant's edit no longer matches; a file is not in the catalog; a hint is missing.
    (workspace / "exercises/01_basics/add.py").write_text(
        (workspace / "solutions/01_basics/add.py").read_text() + "# TODO nothing\n")
    variants = workspace / "tests/variants/01_basics/add.toml"
    variants.write_text(variants.read_text().replace('new = "return a * b"',
                                                     'new = "return b + a"')
                        .replace('old = "return a + b"\nnew = "return sum([a, b])"',
                                 'old = "return a plus b"\nnew = "return sum([a, b])"'))
    (workspace / "exercises/01_basics/stray.py").write_text("# TODO\n")
    catalog = workspace / "exercises/info.toml"
    catalog.write_text(catalog.read_text().replace(
        'hints = ["Multiply by two.", "return t * 2"]', 'hints = ["Multiply by two."]'))
    result = invoke("dev", "check")
    assert result.exit_code == 1
    text = result.output
    assert "the shipped exercise should fail its check, but it is passed" in text
    assert "wrong variant 'multiplies instead of adding' should fail, but it is passed" in text
    assert "right variant 'the built-in sum': edit 1: `old` does not occur" in text
    assert "exercises/01_basics/stray.py is not in exercises/info.toml" in text
    assert "1 hint(s); at least two are needed" in text


def test_a_wrong_variant_must_say_its_mistake(workspace):
    """A `says` phrase that the learner's first failure does not contain is a problem."""
    variants = workspace / "tests/variants/01_basics/add.toml"
    variants.write_text(variants.read_text().replace('says = "add(2, 3) is 6"',
                                                     'says = "zero_grad"'))
    result = invoke("dev", "check", "add")
    assert result.exit_code == 1
    assert ("wrong variant 'multiplies instead of adding' fails, but what the learner reads "
            "does not say 'zero_grad'") in result.output
    assert "add(2, 3) is 6" in result.output  # what it does say, to write the phrase from


def test_says_is_case_insensitive_and_proven_per_variant(workspace):
    variants = workspace / "tests/variants/01_basics/add.toml"
    variants.write_text(variants.read_text().replace('says = "add(2, 3) is 6"',
                                                     'says = "ADD(2, 3)   IS 6"'))
    result = invoke("dev", "check", "--json", "add")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exercises"][0]["missing_says"] == []


def test_wrong_variants_without_says_are_listed_not_failed(workspace):
    result = invoke("dev", "check", "--json")
    assert result.exit_code == 0, result.output
    missing = {e["name"]: e["missing_says"] for e in json.loads(result.stdout)["exercises"]}
    assert missing == {"add": [], "double": ["returns a list"], "halve": []}
    text = invoke("dev", "check").output
    assert "1 wrong variant(s) in 1 exercise(s) have no `says`" in text
    assert "02 double" in text


def test_says_on_a_right_variant_is_a_problem(workspace):
    variants = workspace / "tests/variants/01_basics/add.toml"
    variants.write_text(variants.read_text().replace('approach = "the built-in sum"',
                                                     'approach = "the built-in sum"\nsays = "x"'))
    result = invoke("dev", "check", "add")
    assert result.exit_code == 1
    assert "only a wrong variant has one" in result.output


def test_show_prints_what_each_wrong_variant_makes_the_learner_read(workspace):
    result = invoke("dev", "check", "--show", "double")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "wrong: returns the input unchanged  [failed]  says 'wrong values' yes" in text
    assert "double works on a small tensor." in text  # the failing test's docstring line
    assert "the result should be a torch.Tensor, but it is list" in text
    assert "right: torch.mul / torch.div  [passed]" in text


def test_checks_that_do_not_go_through_the_contract_harness_are_listed(workspace):
    # Only the halve check calls testkit.harness; the marker it leaves is what dev check reads.
    result = invoke("dev", "check", "--json")
    harnessed = {e["name"]: e["harnessed"] for e in json.loads(result.stdout)["exercises"]}
    assert harnessed == {"add": False, "double": False, "halve": True}
    text = invoke("dev", "check").output
    assert "2 exercise(s) whose check does not go through the contract harness" in text
    assert "01 add, 02 double" in text


CHAPTERS: dict[str, list[str]] = {}
for _exercise in load_course(REPO).exercises:
    CHAPTERS.setdefault(_exercise.dir, []).append(_exercise.name)


@pytest.mark.course
@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_the_real_course_is_sound(chapter):
    """The course as shipped, one chapter a test (spread over cores by pytest-xdist):
    every exercise proven by `torchlings dev check`."""
    env = {k: v for k, v in os.environ.items() if k != "TORCHLINGS_WORKSPACE"}
    done = subprocess.run(
        [sys.executable, "-m", "torchlings", "dev", "check", "--json", *CHAPTERS[chapter]],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=3000,
    )
    data = json.loads(done.stdout)
    unsound = {e["name"]: e["problems"] for e in data["exercises"] if not e["sound"]}
    assert not unsound, json.dumps(unsound, indent=2)
    assert data["problems"] == []
    assert done.returncode == 0

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

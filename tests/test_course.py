from pathlib import Path

import pytest

from tests.conftest import REPO
from torchlings.course import CourseError, NoWorkspace, UnknownExercise, find_root, load_course


def write_catalog(root: Path, text: str) -> Path:
    (root / "exercises").mkdir(parents=True, exist_ok=True)
    (root / "exercises" / "info.toml").write_text(text)
    return root


def test_real_catalog_loads_with_numbers_in_order():
    course = load_course(REPO)
    assert len(course.exercises) >= 1
    assert [e.number for e in course.exercises] == list(range(1, len(course.exercises) + 1))
    assert all(len(e.hints) >= 2 for e in course.exercises)
    assert course.welcome and course.final


def test_resolve_by_padded_number_plain_number_and_name(workspace):
    course = load_course(workspace)
    second = course.exercises[1]
    assert course.resolve("02") == second
    assert course.resolve("2") == second
    assert course.resolve("double") == second
    assert course.resolve("exercises/01_basics/double.py") == second


def test_unknown_number_and_name_suggest_the_closest(workspace):
    course = load_course(workspace)
    with pytest.raises(UnknownExercise) as too_big:
        course.resolve("99")
    assert "03 halve" in str(too_big.value)
    with pytest.raises(UnknownExercise) as typo:
        course.resolve("dubble")
    assert "02 double" in str(typo.value)


def test_find_root_walks_up_from_a_subfolder(workspace, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE")
    assert find_root(workspace / "exercises" / "01_basics") == workspace.resolve()


def test_outside_a_workspace_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLINGS_WORKSPACE", raising=False)
    with pytest.raises(NoWorkspace, match="torchlings init"):
        find_root(tmp_path)


def test_malformed_toml_names_the_file_and_line(tmp_path):
    write_catalog(tmp_path, 'format_version = 1\n[[exercises]]\nname = "a\n')
    with pytest.raises(CourseError) as error:
        load_course(tmp_path)
    assert "info.toml" in str(error.value) and "line 3" in str(error.value)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('format_version = 99\n[[exercises]]\nname="a"\ndir="d"\n', "format_version"),
        ("format_version = 1\n", "lists no"),
        ('format_version = 1\n[[exercises]]\nname="a b"\ndir="d"\n', "identifier"),
        ('format_version = 1\n[[exercises]]\nname="a"\ndir="d"\n[[exercises]]\nname="a"\ndir="d"\n',
         "used twice"),
        ('format_version = 1\n[[exercises]]\nname="a"\ndir="../x"\n', "folder name"),
        ('format_version = 1\n[[exercises]]\nname="a"\ndir="d"\ntimeout=-1\n', "timeout"),
    ],
)
def test_catalog_mistakes_are_named(tmp_path, body, complaint):
    write_catalog(tmp_path, body)
    with pytest.raises(CourseError, match=complaint):
        load_course(tmp_path)


def test_paths_follow_the_layout(workspace):
    exercise = load_course(workspace).resolve("add")
    assert exercise.exercise_rel == Path("exercises/01_basics/add.py")
    assert exercise.check_rel == Path("checks/01_basics/test_add.py")
    assert exercise.solution_rel == Path("solutions/01_basics/add.py")
    assert exercise.label == "01"

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


ENTRY = 'format_version = 1\n[[exercises]]\nname = "first"\ndir = "d"\n'
SECOND = '[[exercises]]\nname = "second"\ndir = "d"\n'


@pytest.mark.parametrize(
    ("extra", "key", "complaint"),
    [
        ("timout = 60", "timout", "unknown key `timout`. Did you mean `timeout`?"),
        ('require = ["cuda"]', "require", "unknown key `require`. Did you mean `requires`?"),
        ('requires = ["tpu"]', "requires", "'tpu'; the known requirements are cuda"),
        ('requires = "cuda"', "requires", "must be a list of strings"),
        ("hints = [1, 2]", "hints", "must be a list of strings"),
        ('topics = "tensors"', "topics", "must be a list of strings"),
        ('timeout = "60"', "timeout", "must be a number of seconds"),
        ("timeout = true", "timeout", "must be a number of seconds"),
        ("timeout = 0", "timeout", "must be a number of seconds"),
        ("timeout = nan", "timeout", "must be a number of seconds"),
        ("timeout = inf", "timeout", "must be a number of seconds"),
        ("timeout = 1e300", "timeout", "must be a number of seconds"),
        ('uses_compile = "yes"', "uses_compile", "must be true or false"),
    ],
)
def test_a_catalog_mistake_names_the_entry_and_the_key(tmp_path, extra, key, complaint):
    # The mistake is in the second entry: the message gives its position and its name.
    write_catalog(tmp_path, f"{ENTRY}{SECOND}{extra}\n")
    with pytest.raises(CourseError) as error:
        load_course(tmp_path)
    message = str(error.value)
    assert "exercise #2 (second)" in message
    assert f"`{key}`" in message or f"{key!r}" in message
    assert complaint in message


def test_an_unknown_top_level_key_is_refused(tmp_path):
    write_catalog(tmp_path, f"welcom = 'hi'\n{ENTRY}")
    with pytest.raises(CourseError, match="unknown key `welcom`. Did you mean `welcome`?"):
        load_course(tmp_path)


def test_the_largest_allowed_timeout_and_the_explicit_fields_are_read(tmp_path):
    write_catalog(tmp_path, f'{ENTRY}timeout = 3600\nrequires = ["cuda"]\nuses_compile = true\n')
    exercise = load_course(tmp_path).exercises[0]
    assert (exercise.timeout, exercise.requires, exercise.uses_compile) == (3600.0, ("cuda",), True)


def test_behaviour_comes_from_fields_never_from_topics(tmp_path):
    # Topics are prose for people: naming torch.compile there changes nothing.
    write_catalog(tmp_path, f'{ENTRY}topics = ["torch.compile", "cuda"]\n')
    exercise = load_course(tmp_path).exercises[0]
    assert exercise.uses_compile is False and exercise.requires == ()


def test_the_shipped_catalog_marks_its_torch_compile_exercise():
    course = load_course(REPO)
    assert [e.name for e in course.exercises if e.uses_compile] == ["compile_matches_eager"]

"""`torchlings dev new`: the files of a new exercise, or of a new course, ready to edit.

A new exercise is four files and a catalog entry, all filled with one tiny
complete example (the mean squared error) so that `torchlings dev check NAME`
passes at once: the exercise raises NotImplementedError, the solution passes,
the one wrong variant fails for the reason its `says` names and the right one
passes. The author then edits each file into their own exercise.

A new course is a folder with the same layout as the shipped course (which is
one such course, not a special case): a catalog with its own welcome and final
text, one example exercise, a README for its learners, and `check.sh`, the
script that proves it (the course's CI).
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path

from torchlings import __version__
from torchlings.course import CATALOG, CourseError, find_root, load_course

# Chapter folders are numbered so that they sort in teaching order: 01_tensors, 10_mine.
CHAPTER_RULE = re.compile(r"^[0-9]{2}_[a-z][a-z0-9_]*$")
NAME_RULE = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(Exception):
    """Nothing was written; the message says what to change."""


@dataclass(frozen=True)
class Written:
    root: Path
    files: tuple[Path, ...]  # relative to root, in the order an author reads them


def _exercise_text(name: str) -> str:
    return f'''"""The mean squared error (a starter written by `torchlings dev new`; make it yours).

Replace this docstring with the lesson, in a few short paragraphs: the one
idea, the trap a learner falls into, and why deep RL cares. Say every promise
the check judges (shapes, dtypes, what must stay untouched), because the check
holds the learner to exactly this text.

The example: `{name}` takes two tensors of the same shape and returns the
mean of their squared differences as a 0-d tensor, in their dtype, that keeps
the graph (so a loss made from it can be backpropagated). It does not change
its inputs.
"""

import torch


def {name}(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean over every element of (prediction - target) ** 2, as a 0-d tensor."""
    # TODO: square the differences and average them over every element.
    raise NotImplementedError("square the differences and take their mean")
'''


def _solution_text(name: str) -> str:
    return f'''"""The mean squared error: the solution of the `torchlings dev new` starter."""

import torch


def {name}(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean over every element of (prediction - target) ** 2, as a 0-d tensor."""
    return ((prediction - target) ** 2).mean()
'''


def _check_text(name: str) -> str:
    return f'''"""The check of `{name}`: the docstring's promise, stated once and tried broadly.

`reference` states the promise; `check_contract` tries it on every shape and
dtype in `axes` and judges the result's type, shape, dtype, values (explicit
tolerances), gradients, and that the inputs come back untouched. When a case
breaks the promise, `name_the_mistake` runs first and names a classic mistake
in the learner's words. CONCEPT is what the learner reads on every failure.
"""

import torch

from torchlings.checkapi.testing import fail, with_concept
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = "The mean squared error averages (prediction - target) ** 2 over every element."


def reference(prediction, target):
    return ((prediction - target) ** 2).mean()


def name_the_mistake(case, got, want):
    """A sum where the mean belongs is the classic slip: say so, in the learner's terms."""
    prediction, target = case.inputs.args  # the case's inputs, as `inputs` drew them
    summed = ((prediction - target) ** 2).sum().detach()
    if (isinstance(got, torch.Tensor) and got.shape == () and prediction.numel() > 1
            and torch.allclose(got.detach().double(), summed.double())):
        fail(with_concept("{name} returned the sum of the squared differences, not their mean: "
                          "divide by the number of elements (or use .mean()).", CONCEPT))


def test_contract(exercise):
    """{name} gives the mean of squared differences on every shape and dtype, inputs untouched."""
    def inputs(draw):  # one case's inputs: draw["shape"] is its axis value; draw.randn follows "dtype"
        prediction = draw.randn(*draw["shape"], scale=3.0).requires_grad_()
        return Args(prediction, draw.randn(*draw["shape"]))

    check_contract(Contract(
        function="{name}", call=exercise.{name}, reference=reference, inputs=inputs,
        axes={{"shape": [(1,), (7,), (3, 5)], "dtype": [torch.float32, torch.float64]}},
        diagnose=name_the_mistake, concept=CONCEPT))
'''


def _variants_text(name: str) -> str:
    return f'''# Known variants of solutions/.../{name}.py: each replaces text of the solution.
# A wrong one must fail, and the first failure the learner reads must contain `says`;
# a right one (another way of writing the answer) must pass.

[[wrong]]
mistake = "sums the squared differences instead of averaging them"
says = "sum of the squared differences"
[[wrong.replace]]
old = ".mean()"
new = ".sum()"

[[wrong]]
mistake = "computes in float32 whatever the inputs' dtype"
says = "dtype"
[[wrong.replace]]
old = "return ((prediction - target) ** 2).mean()"
new = "return ((prediction.float() - target.float()) ** 2).mean()"

[[right]]
approach = "torch.nn.functional.mse_loss"
[[right.replace]]
old = "return ((prediction - target) ** 2).mean()"
new = "return torch.nn.functional.mse_loss(prediction, target)"
'''


def _catalog_entry(name: str, chapter: str) -> str:
    return f'''
[[exercises]]
name = "{name}"
dir = "{chapter}"
topics = ["mean squared error"]
hints = [
    "Subtract, square, then average: every element counts once.",
    "return ((prediction - target) ** 2).mean()",
]
'''


def exercise_files(name: str, chapter: str) -> dict[Path, str]:
    """The four files of a starter exercise, keyed by their path in a course."""
    return {
        Path("exercises") / chapter / f"{name}.py": _exercise_text(name),
        Path("checks") / chapter / f"test_{name}.py": _check_text(name),
        Path("solutions") / chapter / f"{name}.py": _solution_text(name),
        Path("tests") / "variants" / chapter / f"{name}.toml": _variants_text(name),
    }


def _refuse_bad_names(name: str, chapter: str) -> None:
    if not NAME_RULE.match(name):
        raise ScaffoldError(
            f"{name!r} cannot name an exercise: use lower-case letters, digits and underscores, "
            "starting with a letter (for example my_first). Progress is keyed by it, so choose "
            "one you will keep."
        )
    if not CHAPTER_RULE.match(chapter):
        raise ScaffoldError(
            f"{chapter!r} does not fit the chapter folder rule: two digits, an underscore, then "
            "lower-case letters, digits or underscores (for example 10_mine), so chapters sort "
            "in teaching order."
        )


def new_exercise(name: str, chapter: str, root: Path | None = None) -> Written:
    """Write a starter exercise into the course at `root` (default: the one we stand in)."""
    _refuse_bad_names(name, chapter)
    try:
        root = root or find_root()
        course = load_course(root)
    except CourseError as exc:
        raise ScaffoldError(f"{exc}\n`dev new` adds an exercise to a course; run it inside one, "
                            "or make a course first with `torchlings dev new --course DIR`.") from exc
    if course.by_name(name) is not None:
        existing = course.by_name(name)
        raise ScaffoldError(f"The course already has an exercise named {name!r} "
                            f"({existing.label if existing else '?'}); choose another name.")
    files = exercise_files(name, chapter)
    taken = [rel for rel in files if (root / rel).exists()]
    if taken:
        raise ScaffoldError(f"{taken[0]} exists already; nothing was written. Choose another name.")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    catalog = root / CATALOG
    before = catalog.read_text(encoding="utf-8")
    catalog.write_text(before.rstrip("\n") + "\n" + _catalog_entry(name, chapter), encoding="utf-8")
    return Written(root, (*files, CATALOG))


def _course_catalog(title: str) -> str:
    major_minor = ".".join(__version__.split(".")[:2])
    return f'''# The catalog of {title}. Exercises are numbered by their position here (01, 02, ...);
# progress is keyed by `name`. Each exercise lives at exercises/<dir>/<name>.py, its
# check at checks/<dir>/test_<name>.py, its solution at solutions/<dir>/<name>.py and
# its known variants at tests/variants/<dir>/<name>.toml. Every field is described in
# torchlings' course.py and in docs/AUTHORING.md of the torchlings repository.

format_version = 1

# The torchlings versions this course runs on (a PEP 440 specifier).
requires_torchlings = ">={major_minor}"

welcome = """
Welcome to {title}. Open the file the runner names in your editor, read its
docstring, fix what the TODO asks for and save: the runner checks it at once.
Press h for a hint.
"""

final = """
Every exercise of {title} passes. Well done.
"""
'''


_COURSE_README = """# {title}

A course for [torchlings](https://pypi.org/project/torchlings-rl/): small PyTorch programs
that are unfinished, and a runner that checks your fix every time you save.

## For learners

    pip install torchlings-rl
    torchlings init my-work --course {folder}
    cd my-work && torchlings

## For its authors

    torchlings dev new NAME --dir 01_start     # a new exercise, ready to edit
    ./check.sh                                 # prove the course: dev check and dev mutate

docs/AUTHORING.md in the torchlings repository walks from `dev new` to a sound
exercise. The example in 01_start is a model to copy from; when the course has
exercises of its own, delete its four files and its entry in exercises/info.toml.

`torchlings grade --course {folder} WORKSPACE...` grades learners' workspaces
against this course.
"""

_CHECK_SCRIPT = """#!/bin/sh
# Prove this course: every exercise fails as shipped, every solution passes, every known
# variant is judged right (dev check), and small mistakes in the solutions are caught
# (dev mutate). Run it in CI, with torchlings installed.
set -eu
cd "$(dirname "$0")"
torchlings dev check
torchlings dev mutate
"""

_COURSE_GITIGNORE = ".torchlings/\n__pycache__/\n"


def new_course(directory: Path, example: str = "mean_squared_error") -> Written:
    """Write a new course into `directory` (new or empty), with one example exercise."""
    directory = directory.expanduser()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ScaffoldError(f"{directory} exists and is not an empty folder; nothing was written. "
                            "Choose a new folder name.")
    title = directory.resolve().name.replace("_", " ").replace("-", " ")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "exercises").mkdir()
    (directory / CATALOG).write_text(_course_catalog(title), encoding="utf-8")
    (directory / "README.md").write_text(
        _COURSE_README.format(title=title, folder=directory.name), encoding="utf-8")
    script = directory / "check.sh"
    script.write_text(_CHECK_SCRIPT, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (directory / ".gitignore").write_text(_COURSE_GITIGNORE, encoding="utf-8")
    # The catalog must list at least one exercise to load; write the first entry by hand.
    catalog = directory / CATALOG
    files = exercise_files(example, "01_start")
    for rel, text in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text, encoding="utf-8")
    catalog.write_text(catalog.read_text(encoding="utf-8") + _catalog_entry(example, "01_start"),
                       encoding="utf-8")
    return Written(directory, (CATALOG, Path("README.md"), Path("check.sh"), *files))

"""The forgeries of issue 20, tried by a class of dishonest learners under `torchlings grade`.

First each forgery is shown to fool a plain check (so a test here can fail):
then, graded, each one fails or is flagged. Most fail outright: the check is
run from pinned bytes, the witness ends the check when learner code reads
frames or replaces the judge's classes, and a pass is accepted only with the
witness's certificate.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.grade import forgeries
from tests.grade.conftest import make_workspace, shared_engine
from torchlings.course import load_course
from torchlings.engine import Status
from torchlings.grading.session import ExerciseGrade, grade
from torchlings.learner.workspace import job_for

DOUBLE = "exercises/01_basics/double.py"
ADD = "exercises/01_basics/add.py"
HONEST_DOUBLE = "def double(t):\n    return t + t\n"
HONEST_ADD = "def add(a, b):\n    return b + a\n"
TRIVIAL_CHECK = "def test_double():\n    pass\n"
# Ordinary code that the grade's watch must not mistake for a forgery: classes
# the standard library builds with exec (NamedTuple, dataclass) and a
# temporary file in the check's own temporary folder.
HONEST_IDIOMS = """\
import tempfile
import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch


class Pair(NamedTuple):
    left: torch.Tensor
    right: torch.Tensor


@dataclass
class Doubler:
    factor: int = 2


def double(t):
    with tempfile.TemporaryDirectory() as folder, open(f"{folder}/t.pt", "wb") as file:
        torch.save(t, file)
    with tempfile.NamedTemporaryFile() as file:
        file.write(b"x")
    found = []
    worker = threading.Thread(target=lambda: found.append(np.asarray(t).sum() * 0))
    worker.start()
    worker.join()
    pair = Pair(t, t)
    t.grad = None
    return (pair.left + pair.right) * (Doubler().factor // 2) + float(found[0])
"""


def _plain_check(name: str, installed: Path, tmp_path: Path) -> Status:
    root = tmp_path / "clone"
    shutil.copytree(installed, root)
    (root / DOUBLE).write_text(forgeries.FOOLING[name])
    course = load_course(root)
    with shared_engine() as engine:
        return engine.check(job_for(course, course.by_name("double"))).status


@pytest.mark.parametrize("name", sorted(set(forgeries.FOOLING) - forgeries.NOW_STOPPED_BY_A_PLAIN_CHECK))
def test_the_forgery_fools_a_plain_check(name: str, installed: Path, tmp_path: Path) -> None:
    assert _plain_check(name, installed, tmp_path) is Status.PASSED


@pytest.mark.parametrize("name", sorted(forgeries.NOW_STOPPED_BY_A_PLAIN_CHECK))
def test_a_plain_check_collected_first_stops_the_forgery(name: str, installed: Path,
                                                        tmp_path: Path) -> None:
    assert _plain_check(name, installed, tmp_path) is not Status.PASSED


@pytest.fixture(scope="module")
def graded(installed: Path, pinned, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One grade of the whole class; {learner: {exercise name: ExerciseGrade}}."""
    parent = tmp_path_factory.mktemp("class")
    learners = {name: {DOUBLE: source} for name, source in
                {**forgeries.FOOLING, **forgeries.STOPPED_BY_CHECKS}.items()}
    learners["honest"] = {DOUBLE: HONEST_DOUBLE, ADD: HONEST_ADD}
    learners["honest_idioms"] = {DOUBLE: HONEST_IDIOMS}
    # What torch.compile does first: make its cache folder. Under a grade that
    # is inside the check's own temporary folder (no learner feeds another's).
    learners["compile_cache"] = {DOUBLE: (
        "import os\n\nfrom torch._inductor.runtime.cache_dir_utils import cache_dir\n\n"
        "os.makedirs(os.path.join(cache_dir(), 'fxgraph'), exist_ok=True)\n\n\n"
        "def double(t):\n    return t * 2\n")}
    # Imports a module it first wrote itself: built at run time, whatever the import
    # system calls it (a library's import is not: see compile_cache above).
    learners["imports_what_it_wrote"] = {DOUBLE: (
        "import importlib\nimport sys\nimport tempfile\nfrom pathlib import Path\n\n"
        "folder = tempfile.mkdtemp()\n"
        "Path(folder, 'built.py').write_text('def double(t):\\n    return t * 2\\n')\n"
        "sys.path.insert(0, folder)\ndouble = importlib.import_module('built').double\n")}
    learners["unsolved"] = {}
    learners["run_solution"] = {DOUBLE: forgeries.run_solution(pinned.forbidden[0])}
    # Solved, but reads the runner's result file (where the nonce is) on the way.
    learners["runner_files"] = {DOUBLE: "import os\n\n\ndef double(t):\n"
                                        "    os.listdir('..')\n    return t * 2\n"}
    # Solved, after a look at the installed check (to copy its expected values).
    learners["read_check"] = {DOUBLE: f"open({str(installed / 'checks/01_basics/test_double.py')!r})"
                                      ".read()\n\n\ndef double(t):\n    return t * 2\n"}
    # Solved, and a thread with no learner frame on its stack reads the result file.
    learners["thread_reads_result"] = {DOUBLE: (
        "import threading\n\n"
        "reader = threading.Thread(target=open, args=('../result.json',))\n"
        "reader.start()\nreader.join()  # no race: the read happens before any test runs\n\n\n"
        "def double(t):\n    return t * 2\n")}
    learners["copied_solution"] = {DOUBLE: (installed / "solutions/01_basics/double.py")
                                   .read_text()}
    paths = [make_workspace(parent, name, files) for name, files in learners.items()]
    # Their own catalog lists only what they solved.
    only_add = ('format_version = 1\n[[exercises]]\nname = "add"\ndir = "01_basics"\n')
    paths.append(make_workspace(parent, "trimmed_catalog", {ADD: HONEST_ADD}, catalog=only_add))
    # A committed edit of the check, so that git HEAD calls it shipped.
    paths.append(make_workspace(parent, "committed_check",
                                {"checks/01_basics/test_double.py": TRIVIAL_CHECK}, git=True))
    result = grade(pinned, paths, shared_engine)
    assert not result.installation_changed
    return {g.learner: {e.exercise.name: e for e in g.exercises} for g in result.learners}


def _fails_or_flagged(item: ExerciseGrade) -> bool:
    return not item.passed or item.suspicious


def test_an_honest_learner_passes_unflagged(graded) -> None:
    honest = graded["honest"]
    assert honest["double"].passed and honest["add"].passed
    assert not honest["double"].suspicious and not honest["add"].suspicious
    for name in ("honest_idioms", "compile_cache"):
        item = graded[name]["double"]
        assert item.passed, (name, item.result.summary)
        assert not item.suspicious, (name, item.reasons)
    assert not graded["unsolved"]["double"].passed


@pytest.mark.parametrize("name", sorted(forgeries.FOOLING))
def test_each_forgery_fails_or_is_flagged_under_grade(graded, name: str) -> None:
    item = graded[name]["double"]
    assert _fails_or_flagged(item)
    if name in forgeries.ONLY_FLAGGED:
        assert item.suspicious
    else:
        assert not item.passed, item.result.summary


def test_replacing_the_checks_own_helper_is_not_confirmed(graded) -> None:
    item = graded["check_helper"]["double"]
    assert "the check.expect_tensor" in item.result.summary


def test_reading_frames_is_stopped_and_named(graded) -> None:
    for name in ("nonce_from_frames", "nonce_from_traceback"):
        item = graded[name]["double"]
        assert item.result.summary.startswith("stopped by the grade")
        assert any("frame" in reason for reason in item.reasons)


def test_replacing_the_judges_functions_is_named(graded) -> None:
    for name, replaced in (("engine_summary", "run_check.summarise"),
                           ("engine_serialisation", "CheckResult.to_dict"),
                           ("pytest_reports", "TestReport.from_item_and_call")):
        item = graded[name]["double"]
        # Named either when the learner's file has loaded (the tamper watch, before pytest
        # runs) or by the witness when the verdict is certified; never a pass.
        summary = item.result.summary
        assert summary.startswith(("pass not confirmed", "Your code replaced what the check",
                                   "stopped by the grade: replaces")), summary
        assert replaced in summary and not item.passed
        assert item.suspicious


def test_a_tensor_subclass_is_not_confirmed(graded) -> None:
    item = graded["agreeable_tensor"]["double"]
    assert item.suspicious
    assert any("__torch_function__" in r or "Tensor" in r for r in item.reasons)


def test_the_reference_solution_cannot_be_run(graded) -> None:
    item = graded["run_solution"]["double"]
    assert not item.passed
    assert any("reference solutions" in reason for reason in item.reasons)


def test_a_copied_solution_is_flagged(graded) -> None:
    item = graded["copied_solution"]["double"]
    assert item.passed and "is the shipped reference solution, unchanged" in item.reasons


def test_the_installed_catalog_decides_what_is_graded(graded) -> None:
    trimmed = graded["trimmed_catalog"]
    assert sorted(trimmed) == ["add", "double", "halve"]
    assert trimmed["add"].passed
    assert not trimmed["double"].passed and not trimmed["halve"].passed


def test_a_committed_check_edit_changes_nothing(graded) -> None:
    assert not graded["committed_check"]["double"].passed


def test_code_imported_from_a_file_it_wrote_is_flagged(graded) -> None:
    item = graded["imports_what_it_wrote"]["double"]
    assert item.passed and "runs code it builds at run time (exec)" in item.reasons


def test_the_runners_own_files_are_out_of_reach(graded) -> None:
    for name in ("runner_files", "thread_reads_result"):
        item = graded[name]["double"]
        assert not item.passed
        assert any("runner's own files" in reason for reason in item.reasons)


def test_a_spoofed_tensor_is_not_a_tensor(graded, installed: Path, tmp_path: Path) -> None:
    item = graded["spoofed_tensor"]["double"]
    assert not item.passed and item.suspicious
    assert "should be a torch.Tensor" in item.result.summary + item.result.tests[0].message
    root = tmp_path / "clone"
    shutil.copytree(installed, root)
    (root / DOUBLE).write_text(forgeries.SPOOFED_TENSOR)
    course = load_course(root)
    with shared_engine() as engine:
        result = engine.check(job_for(course, course.by_name("double")))
    assert result.status is Status.FAILED


def test_the_installed_checks_cannot_be_read(graded) -> None:
    item = graded["read_check"]["double"]
    assert not item.passed
    assert any("checks or reference solutions" in reason for reason in item.reasons)


def test_defaults_changed_in_place_are_not_confirmed(graded) -> None:
    item = graded["kwdefaults"]["double"]
    assert not item.passed
    assert "expect_tensor (its defaults)" in item.result.summary


def test_a_function_replaced_and_put_back_is_stopped_as_it_is_replaced(graded) -> None:
    item = graded["restore_isclose"]["double"]
    assert not item.passed
    assert item.result.summary == ("stopped by the grade: replaces torch.isclose, which the "
                                   "check uses to judge")


@pytest.mark.parametrize("name", ["spoof_module_subclass", "mode_pops_itself",
                                  "subclass_c_method"])
def test_a_class_claiming_to_be_torchs_or_a_mode_gone_before_the_verdict_is_not_confirmed(
        graded, name: str) -> None:
    item = graded[name]["double"]
    assert not item.passed
    assert "torch.Tensor subclass or torch mode was defined" in item.result.summary


def test_a_tensor_hiding_torchs_method_is_stopped(graded) -> None:
    item = graded["instance_detach"]["double"]
    assert not item.passed
    assert item.result.summary == "stopped by the grade: gives a tensor its own detach, hiding torch's"

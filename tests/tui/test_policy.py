"""The progression policy itself (workspace.record / course_check), verdict by verdict."""

from __future__ import annotations

import pytest
from tui_helpers import errored, failed, not_done, passed

from torchlings.engine import CheckResult, Status, runner_fault
from torchlings.learner.progress import Complete, MoveOn, RecheckCourse, Stay
from torchlings.learner.workspace import job_for


def skipped() -> CheckResult:
    return CheckResult(Status.SKIPPED, summary="skipped: needs CUDA", skip_reason="needs CUDA")


def ex(workspace, name):
    return workspace.course.by_name(name)


@pytest.mark.parametrize("verdict, stays_done", [
    (failed, False), (not_done, False), (lambda: errored(Status.ERROR), False),
    (lambda: errored(Status.TIMEOUT), False), (lambda: errored(Status.CRASHED), False),
    (skipped, True), (passed, True),
    # A fault in torchlings itself judged nothing: "done" stays.
    (lambda: runner_fault(RuntimeError("a bug of ours")), True),
])
def test_what_each_verdict_does_to_done(workspace, verdict, stays_done):
    first = ex(workspace, "first")
    workspace.record(first, passed())
    progress = workspace.record(first, verdict())
    assert workspace.is_done(first) is stays_done
    assert progress.done is stays_done and not progress.newly_done
    assert workspace.store.load().done == ({"first"} if stays_done else set())  # saved


def test_a_skip_neither_marks_done_nor_keeps_the_learner(workspace):
    third = ex(workspace, "third")
    progress = workspace.record(third, skipped())
    assert not progress.done and progress.step == MoveOn(ex(workspace, "first"))


def test_next_wraps_round_and_is_never_the_same_exercise(workspace):
    workspace.state.done.add("first")
    progress = workspace.record(ex(workspace, "third"), passed())
    assert progress.step == MoveOn(ex(workspace, "second"))
    progress = workspace.record(ex(workspace, "second"), passed())
    assert progress.step == RecheckCourse() and progress.newly_done


def test_a_pass_on_a_finished_course_does_not_recheck_everything(workspace):
    workspace.state.done.update({"first", "second", "third"})
    progress = workspace.record(ex(workspace, "third"), passed())
    assert progress.step == Complete()


def test_course_check_is_complete_when_all_pass_or_are_skipped(workspace):
    exercises = workspace.course.exercises
    check = workspace.course_check(list(zip(exercises, [passed(), skipped(), passed()],
                                            strict=True)))
    assert check.complete and check.first_failing is None


def test_course_check_lands_on_the_first_failure(workspace):
    exercises = workspace.course.exercises
    verdicts = [passed(), errored(Status.TIMEOUT), failed()]
    check = workspace.course_check(list(zip(exercises, verdicts, strict=True)))
    assert not check.complete
    assert [e.name for e in check.failing] == ["second", "third"]
    assert workspace.state.current == "second"


def test_one_job_constructor_keeps_timeout_and_cuda_routing(workspace, tmp_path):
    import dataclasses

    first = dataclasses.replace(ex(workspace, "first"), timeout=42.0, requires=("cuda",))
    job = job_for(workspace.course, first)
    assert job.timeout == 42.0 and job.needs_fresh_process
    assert job.exercise_file == workspace.exercise_path(first)
    other = job_for(workspace.course, first, tmp_path / "variant.py")
    assert other.exercise_file == tmp_path / "variant.py" and other.needs_fresh_process
    assert workspace.job(ex(workspace, "second")).needs_fresh_process is False


def test_a_runner_fault_keeps_the_learner_where_they_are(workspace):
    first = ex(workspace, "first")
    progress = workspace.record(first, runner_fault(RuntimeError("a bug of ours")))
    assert progress.step == Stay() and not workspace.is_done(first)

"""Results are data: every surface reads the result's fields and never parses its text.

Each result here carries a message or summary written to mislead a parser (a
"skipped:" that is not a prefix, a ". Press n" inside the verdict, a NOT_DONE
summary that does not start with "not done"); the surfaces must still say the
right thing, because they read `skip_reason`, `todo` and `status`, not prose.
"""

from __future__ import annotations

from rich.console import Console

from torchlings.course import Exercise
from torchlings.engine import CheckResult, Status
from torchlings.engine import TestOutcome as Outcome  # not a test class
from torchlings.learner import junit
from torchlings.learner.progress import MoveOn, Progress
from torchlings.learner.report import CHECK_MODIFIED_NOTE, render_result
from torchlings.tui.status import StatusInputs, status_line

FIRST = Exercise("first", "01", 1, ())
SECOND = Exercise("second", "01", 2, ())


def line(result: CheckResult, progress: Progress | None = None) -> tuple[str, str]:
    return status_line(StatusInputs(current=FIRST, result=result, progress=progress,
                                    checking=False, engine_ready=True, all_running=False,
                                    course_done=False, compile_seen=True))


def text_of(renderable) -> str:  # noqa: ANN001
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


ODD_SKIP = CheckResult(Status.SKIPPED, summary="skipped: skipped: Press n", skip_reason="needs CUDA")


def test_a_skip_reason_is_a_field_on_every_surface(tmp_path):
    word, rest = line(ODD_SKIP)
    assert (word, rest) == ("done", "01 first is not checked here: needs CUDA")
    assert "Not checked here: needs CUDA" in text_of(render_result(FIRST, ODD_SKIP))
    suite = junit.build([FIRST], {0: ODD_SKIP}, tmp_path, set())
    assert suite.find("testcase/skipped").get("message") == "needs CUDA"


def test_a_not_done_summary_is_shown_as_built_never_re_prefixed():
    result = CheckResult(Status.NOT_DONE, summary="write the loss (line 3)", todo="write the loss",
                         todo_line=3)
    assert line(result) == ("failing", "write the loss (line 3)")


def test_the_edited_check_note_goes_after_the_verdict_whatever_the_text():
    result = CheckResult(Status.PASSED, summary="1 of 1 tests pass. Press n now",
                         check_modified=True)
    progress = Progress(FIRST, Status.PASSED, True, True, MoveOn(SECOND))
    word, rest = line(result, progress)
    assert word == "done"
    assert rest == f"01 first passes ({CHECK_MODIFIED_NOTE}). Press n for 02 second"


def test_a_message_that_reads_like_another_status_changes_nothing():
    problem = Outcome("running the check", "error", message="not done yet: skipped: done")
    result = CheckResult(Status.TIMEOUT, summary="The check did not finish within 5 s",
                         problem=problem)
    assert line(result) == ("error", "The check did not finish within 5 s")

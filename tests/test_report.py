"""The report: what a result looks like on the terminal, from its typed details."""

from __future__ import annotations

import re

import pytest
import torch
from rich.console import Console

from torchlings.checkapi import translations
from torchlings.checkapi.testing import CheckFailure, expect_tensor
from torchlings.course import Exercise
from torchlings.engine import CheckResult, SourceLine, Status
from torchlings.engine import TestOutcome as Outcome  # not a test class
from torchlings.learner.report import display_path, render_result
from torchlings.vocabulary import STATUS_LOOK, style_for, word_for

EXERCISE = Exercise(name="returns", dir="08_rl", number=42, hints=("h1", "h2"))
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m")


def show(result: CheckResult, *, terminal: bool = False, **kwargs) -> str:
    console = Console(width=120, record=True, force_terminal=terminal,
                      color_system="truecolor" if terminal else None)
    console.print(render_result(EXERCISE, result, **kwargs))
    return console.export_text(styles=terminal)


def failed_with(message: str, details: dict | None = None, **outcome) -> CheckResult:
    test = Outcome(name="test_returns", outcome="failed", doc="The returns are discounted",
                       message=message, details=details or {}, **outcome)
    return CheckResult(Status.FAILED, summary="0 of 1 passed", tests=[test])


def failure_from(fn, *args, **kwargs) -> CheckFailure:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return info.value


def test_a_value_mismatch_shows_a_table_of_the_first_elements():
    got = torch.arange(10.0)
    want = got + torch.tensor([0, 1, 0, 1, 1, 1, 1, 1, 0, 0.0])
    failure = failure_from(expect_tensor, got, name="the returns", values=want,
                           concept="Discount from the end of the episode.")
    text = show(failed_with(failure.message, failure.details))
    assert "the returns has the wrong values: 6 of 10 element(s) differ" in text
    assert "First at index" not in text  # the table says it, for more elements
    assert re.search(r"index\s+yours\s+expected\s+difference", text)
    assert re.search(r"\[1\]\s+1\s+2\s+-1", text)
    assert re.search(r"\[6\]\s+6\s+7\s+-1", text) and "[7]" not in text
    assert "the first 5 of 6 that differ" in text
    assert text.index("the first 5") < text.index("Discount from the end of the episode.")


def test_a_shape_is_printed_once():
    failure = failure_from(expect_tensor, torch.zeros(4, 4), name="the TD error", shape=(4,))
    text = show(failed_with(failure.message, failure.details))
    assert text.count("(4, 4)") == 2  # the sentence, and the broadcast story's own example
    assert text.count("expected (4,)") == 1
    assert "expected shape" not in text


def test_a_known_error_gets_its_meaning_once():
    message = "RuntimeError: Expected all tensors to be on the same device, but found cuda:0 and cpu"
    text = show(failed_with(message))
    assert "→ Two tensors in one operation live on different devices" in text
    meaning = translations.autograd_meaning("grad can be implicitly created only for scalar outputs")
    assert meaning is not None
    text = show(failed_with(f"f(x) raised autograd's error: grad can be implicitly created only "
                            f"for scalar outputs\n{meaning}"))
    assert text.count(meaning[:40]) == 1


def test_every_translation_is_found_by_its_needle():
    for entry in translations.TRANSLATIONS:
        assert translations.translate(f"RuntimeError: xx {entry.needle} yy") == entry.meaning


def test_a_misspelt_attribute_suggests_the_close_name():
    assert translations.close_name("form_numpy", dir(torch)) == "from_numpy"
    assert translations.close_name("zzzz", dir(torch)) == ""
    try:
        torch.form_numpy  # noqa: B018
    except AttributeError as exc:
        assert translations.suggestion_for(exc) == "from_numpy"
    text = show(failed_with("AttributeError: module 'torch' has no attribute 'form_numpy'",
                            {"kind": "misspelling", "suggestion": "from_numpy"}))
    assert "→ 'torch' has no attribute 'form_numpy': check the spelling. Did you mean " \
           "'from_numpy'?" in text


def test_the_excerpt_is_the_code_that_ran_not_the_file_now(tmp_path):
    path = tmp_path / "returns.py"
    path.write_text("edited since\n" * 10)
    line = SourceLine(str(path), 5, "    return g * x", "discount",
                      excerpt=["def discount(x):", "    g = 0.9", "    return g * x"],
                      excerpt_start=3)
    text = show(failed_with("ValueError: bad", learner_line=line))
    assert "Your code," in text and "returns.py:5" in text
    assert re.search(r"❱ 5     return g \* x", text)
    assert re.search(r"  3 def discount\(x\):", text)
    assert "edited since" not in text


def test_without_the_learners_line_the_checks_call_is_shown():
    check = SourceLine("/w/checks/03_modules/test_mlp.py", 17, "    out = exercise.model(x)")
    text = show(failed_with("RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)",
                            check_line=check, exc_type="RuntimeError"))
    assert "raised inside PyTorch (or another library), not on a line of your file" in text
    assert "test_mlp.py:17 │ out = exercise.model(x)" in text
    assert "nn.Sequential" in text
    # A check's own expectation is not an error inside PyTorch: its message says it all.
    text = show(failed_with("the output has shape (4,), expected (4, 2).", check_line=check,
                            exc_type="CheckFailure"))
    assert "inside PyTorch" not in text and "test_mlp.py" not in text


def test_a_timeout_explains_the_test_that_ran_out_of_time_and_where(tmp_path):
    earlier = Outcome(name="test_shape", outcome="failed", doc="The shape is right",
                      message="the output has shape (4,), expected (4, 2).")
    line = SourceLine(str(tmp_path / "returns.py"), 7, "        g += 1", "discount",
                      excerpt=["    while g < 1:", "        g += 1"], excerpt_start=6)
    ran_out = Outcome(name="test_values", outcome="failed", doc="The values are right",
                      exc_type="CheckDeadline", learner_line=line,
                      message="The check did not finish within 8 s and was stopped. Your code "
                      "was at the line below. Look for a loop that never ends.")
    text = show(CheckResult(Status.TIMEOUT, summary="stopped", tests=[earlier, ran_out]))
    assert "⏱ timeout" in text and "did not finish within 8 s" in text
    assert "returns.py:7" in text and re.search(r"❱ 7         g \+= 1", text)
    assert "expected (4, 2)" not in text  # an earlier failure is not the story


def test_text_from_the_course_and_the_learner_is_never_markup():
    message = "rewards[dones] and x[a:b] are [bold]kept[/bold]"
    result = failed_with(message)
    result.output = "printed [red]x[/red]\n"
    text = show(result)
    assert message in text and "printed [red]x[/red]" in text


def test_no_color_means_weight_and_symbols_only(monkeypatch):
    failure = failure_from(expect_tensor, torch.arange(3.0), name="v", values=[0.0, 1.0, 5.0])
    result = failed_with(failure.message, failure.details,
                         learner_line=SourceLine("/w/x.py", 2, "b", excerpt=["a", "b"],
                                                 excerpt_start=1))
    coloured = show(result, terminal=True)
    assert COLOUR.search(coloured)
    monkeypatch.setenv("NO_COLOR", "1")
    plain = show(result, terminal=True)
    assert not COLOUR.search(plain)
    assert "\x1b[2m" not in plain  # no dim text: the hardest to read on many themes
    assert "\x1b[1m" in plain and "✗" in plain and "❱" in plain
    assert style_for(Status.FAILED) == "bold"


def test_one_vocabulary_for_every_status(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert set(STATUS_LOOK) == set(Status)
    assert word_for(Status.PASSED) == "done" and style_for(Status.PASSED) == "bold green"
    assert word_for("checking") == "checking" and style_for("pending") == "bold yellow"
    text = show(CheckResult(Status.TIMEOUT, summary="stopped"))
    assert "⏱ timeout" in text


def test_paths_are_shown_from_where_the_learner_stands(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    (root / "exercises" / "01").mkdir(parents=True)
    target = root / "exercises" / "01" / "add.py"
    monkeypatch.chdir(root)
    assert display_path(target, root) == "exercises/01/add.py"
    monkeypatch.chdir(root / "exercises" / "01")
    assert display_path(target, root) == "add.py"
    assert display_path(root / "checks" / "t.py", root) == "../../checks/t.py"
    # A clone's root holds the shipped exercises/ too: the learner's file is under ws/.
    monkeypatch.chdir(tmp_path)
    assert display_path(target, root) == "ws/exercises/01/add.py"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert display_path(target, root) == "../ws/exercises/01/add.py"
    deep = tmp_path.joinpath(*"abcdefghijklmnopqrstuvwxyz")
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)  # 26 times `..` is longer than the whole path
    assert display_path(target, root) == str(target.resolve())

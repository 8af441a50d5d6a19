"""Learner files that misbehave: each is reported clearly, and nothing is lost.

Every test runs `torchlings run` on the test course with the learner's file
replaced, then asserts the message, the exit code, and that the progress file
and every other file are exactly as they were.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import invoke, solve, tree_snapshot

EXERCISE = Path("exercises/01_basics/add.py")


@pytest.fixture
def course(workspace: Path) -> Path:
    """The test course with one exercise already solved (so there is progress to lose)."""
    solve(workspace, "double")
    assert invoke("run", "double").exit_code == 0
    catalog = workspace / "exercises" / "info.toml"
    catalog.write_text(catalog.read_text().replace("timeout = 5", "timeout = 2", 1))
    return workspace


def run_with(root: Path, source: str) -> tuple[int, str, dict[str, bytes]]:
    """Write the learner file, run its check, and return exit code, output, and the
    files of the workspace before the run (to compare with after)."""
    (root / EXERCISE).write_text(textwrap.dedent(source))
    before = tree_snapshot(root)
    result = invoke("run", "add")
    return result.exit_code, result.output, before


def assert_nothing_changed(root: Path, before: dict[str, bytes]) -> None:
    assert tree_snapshot(root) == before


def test_syntax_error_shows_line_caret_and_message(course):
    code, out, before = run_with(course, "def add(a, b):\n    return (a + b\n")
    assert code == 1
    assert "SyntaxError: '(' was never closed" in out
    assert "add.py:2" in out and "return (a + b" in out and "^" in out
    assert_nothing_changed(course, before)


def test_import_of_a_missing_name_says_which_and_where(course):
    code, out, before = run_with(course, "from torch import tensr\n\ndef add(a, b):\n    return a + b\n")
    assert code == 1
    assert "cannot import name 'tensr' from 'torch'" in out
    assert "Your file imports 'tensr' from 'torch'" in out and "add.py:1" in out
    assert_nothing_changed(course, before)


def test_raise_at_import(course):
    code, out, before = run_with(course, "raise ValueError('boom at import')\n")
    assert code == 1
    assert "ValueError: boom at import" in out and "add.py:1" in out
    assert_nothing_changed(course, before)


def test_endless_loop_at_import_times_out(course):
    code, out, before = run_with(course, "x = 0\nwhile True:\n    x += 1\n")
    assert code == 1
    assert "timeout" in out and "did not finish within 5 s" in out
    assert "add.py:2" in out or "add.py:3" in out  # where the loop is
    assert_nothing_changed(course, before)


def test_endless_loop_in_the_tested_function_times_out(course):
    code, out, before = run_with(course, """
        def add(a, b):
            while True:
                a += 1
        """)
    assert code == 1
    assert "did not finish within 5 s" in out
    # The excerpt of the learner's loop, with its place: lines 3 and 4 are the loop.
    assert "add.py:3" in out or "add.py:4" in out
    assert "a += 1" in out
    assert_nothing_changed(course, before)


def test_segfault_is_named(course):
    code, out, before = run_with(course, """
        import ctypes

        def add(a, b):
            return ctypes.string_at(0)
        """)
    assert code == 1
    assert "crashed" in out and "SIGSEGV" in out and "segmentation fault" in out
    assert_nothing_changed(course, before)


def test_a_50_gb_allocation_hits_the_ceiling_not_the_machine(course):
    code, out, before = run_with(course, """
        import torch

        def add(a, b):
            big = torch.ones(50 * 2**30, dtype=torch.uint8)
            return a + b + int(big[0])
        """)
    assert code == 1
    assert "GiB allowed" in out
    assert_nothing_changed(course, before)


def test_a_100_mb_print_is_cut_short(course):
    code, out, before = run_with(course, """
        print("x" * 100_000_000)

        def add(a, b):
            return a + b
        """)
    assert code == 0  # the answer is right; the flood is only shown cut short
    assert "more bytes of output, not shown" in out
    assert len(out) < 200_000
    (course / EXERCISE).write_text((course / "solutions/01_basics/add.py").read_text())


def test_sys_exit_zero_at_import_does_not_pass(course):
    code, out, before = run_with(course, "import sys\nsys.exit(0)\n")
    assert code == 1
    assert "sys.exit(0)" in out
    assert_nothing_changed(course, before)


def test_sys_exit_zero_in_the_function_does_not_pass(course):
    code, out, before = run_with(course, """
        import sys

        def add(a, b):
            sys.exit(0)
        """)
    assert code == 1
    assert "SystemExit" in out or "sys.exit" in out
    assert_nothing_changed(course, before)


def test_os_exit_zero_does_not_pass(course):
    code, out, before = run_with(course, """
        import os

        def add(a, b):
            os._exit(0)
        """)
    assert code == 1
    assert "crashed" in out and "ended" in out
    assert_nothing_changed(course, before)


def test_keyboard_interrupt_in_learner_code_is_reported_not_obeyed(course):
    code, out, before = run_with(course, """
        def add(a, b):
            raise KeyboardInterrupt
        """)
    assert code == 1
    assert "KeyboardInterrupt" in out
    assert_nothing_changed(course, before)


def test_a_file_that_deletes_itself_is_reported_and_reset_brings_it_back(course):
    (course / EXERCISE).write_text(textwrap.dedent("""
        import os

        def add(a, b):
            os.remove(__file__)
            return a + b
        """))
    first = invoke("run", "add")
    assert first.exit_code in (0, 1)  # judged on the bytes it had; the runner goes on
    assert not (course / EXERCISE).exists()
    again = invoke("run", "add")
    assert again.exit_code == 1
    assert "missing" in again.output and "torchlings reset" in again.output
    assert invoke("reset", "add", "--yes").exit_code == 0
    assert "NotImplementedError" in (course / EXERCISE).read_text()


def test_a_file_that_renames_itself_is_reported(course):
    (course / EXERCISE).write_text(textwrap.dedent("""
        import os

        def add(a, b):
            os.rename(__file__, __file__ + ".moved")
            return a + b
        """))
    invoke("run", "add")
    again = invoke("run", "add")
    assert again.exit_code == 1 and "missing" in again.output

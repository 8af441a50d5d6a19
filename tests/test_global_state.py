"""Global switches a learner's code leaves changed fail the test that ran it, by name."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from tests.conftest import invoke
from torchlings.checkapi.failures import CheckFailure
from torchlings.checkapi.global_state import GlobalState, expect_global_state_kept

EXERCISE = Path("exercises/01_basics/add.py")


def test_each_switch_left_changed_is_named_and_put_back():
    before = GlobalState.capture()
    torch.set_grad_enabled(False)
    torch.set_default_dtype(torch.float64)
    with pytest.raises(CheckFailure) as caught:
        expect_global_state_kept(before)
    message = caught.value.message
    assert "autograd is switched off" in message and "with torch.no_grad():" in message
    assert "default dtype is now torch.float64" in message
    assert GlobalState.capture() == before  # restored, so the next test is not poisoned


def test_deterministic_flag_left_on_is_named():
    before = GlobalState.capture()
    torch.use_deterministic_algorithms(True)
    with pytest.raises(CheckFailure, match="use_deterministic_algorithms"):
        expect_global_state_kept(before)
    assert not torch.are_deterministic_algorithms_enabled()


def test_a_block_that_restores_the_mode_leaves_nothing():
    before = GlobalState.capture()
    with torch.no_grad():
        torch.ones(1) * 2
    expect_global_state_kept(before)  # no failure


def _run_add(workspace: Path, source: str):
    (workspace / EXERCISE).write_text(textwrap.dedent(source))
    return invoke("run", "add")


GRAD_OFF_AS_A_STATEMENT = """
        import torch

        def add(a, b):
            torch.set_grad_enabled(False)
            return a + b
        """


def test_set_grad_enabled_as_a_statement_fails_the_check(workspace):
    result = _run_add(workspace, GRAD_OFF_AS_A_STATEMENT)
    assert result.exit_code == 1
    assert "autograd is switched off for the whole program" in result.output


def test_the_same_code_in_a_with_block_passes(workspace):
    result = _run_add(workspace, """
        import torch

        def add(a, b):
            with torch.set_grad_enabled(False):
                return a + b
        """)
    assert result.exit_code == 0, result.output


def test_a_switch_left_changed_in_a_module_fixture_fails_the_check(workspace):
    """A check that calls the learner once in a module-scoped fixture (to share one training
    among its tests) runs that fixture before each test's own guard: the guard must still
    judge against the state from before the fixture."""
    (workspace / "checks/01_basics/test_add.py").write_text(textwrap.dedent('''
        import pytest

        from torchlings.checkapi.testing import expect_close


        @pytest.fixture(scope="module")
        def total(exercise):
            return exercise.add(2, 3)


        def test_add(total):
            """2 + 3 is 5."""
            expect_close(total, 5, name="add(2, 3)", concept="Addition.")
        '''))
    result = _run_add(workspace, GRAD_OFF_AS_A_STATEMENT)
    assert result.exit_code == 1
    assert "autograd is switched off for the whole program" in result.output


def test_autocast_left_on_is_named_and_put_back():
    before = GlobalState.capture()
    torch.set_autocast_enabled("cpu", True)
    torch.set_autocast_dtype("cpu", torch.float16)
    left_on = "autocast for cpu is left switched on, in torch.float16 .it was off"
    with pytest.raises(CheckFailure, match=left_on):
        expect_global_state_kept(before)
    assert GlobalState.capture() == before
    assert not torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16


def test_an_autocast_block_leaves_nothing():
    before = GlobalState.capture()
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        torch.ones(2, 2) @ torch.ones(2, 2)
    expect_global_state_kept(before)  # no failure

"""Tests for torchlings.checkapi.testkit.contracts: the helpers catch what they promise, and only that."""

import pytest
import torch

from torchlings.checkapi.testing import CheckFailure
from torchlings.checkapi.testkit.contracts import InputSnapshot, expect_py_float, expect_py_int


def test_py_float_accepts_numbers_and_rejects_tensors():
    assert expect_py_float(1.5, name="x") == 1.5
    assert expect_py_float(2, name="x") == 2.0
    with pytest.raises(CheckFailure, match=r"torch.float32 tensor of shape \(\).*\.item\(\)"):
        expect_py_float(torch.tensor(1.5), name="x")
    for bad in (True, "1.5", None):
        with pytest.raises(CheckFailure, match="plain Python float"):
            expect_py_float(bad, name="x")


def test_py_float_ends_with_the_concept():
    with pytest.raises(CheckFailure) as caught:
        expect_py_float(torch.tensor(0.5), name="loss", concept="return loss.item().")
    assert str(caught.value).endswith("\nreturn loss.item().")


def test_py_int_rejects_tensors_and_bools():
    assert expect_py_int(3, name="n") == 3
    for bad in (torch.tensor(3), True, 3.0):
        with pytest.raises(CheckFailure, match="plain Python int"):
            expect_py_int(bad, name="n")


def test_untouched_passes_for_a_function_that_works_on_a_copy():
    x = torch.tensor([1.0, 2.0])
    w = torch.tensor([3.0], requires_grad=True)
    inputs = InputSnapshot(x=x, w=w, y=w * 2)  # a non-leaf is watched too, without warnings
    leaf = x.detach().clone().requires_grad_()
    (leaf**2).sum().backward()
    torch.autograd.grad((w * 3).sum(), w)
    inputs.expect_untouched(function="f")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda t: t.requires_grad_(), "requires_grad went from False to True"),
        (lambda t: t.add_(1.0), "in-place operation"),
        (lambda t: t.unsqueeze_(0), r"shape went from \(2,\) to \(1, 2\)"),
    ],
)
def test_untouched_catches_requires_grad_views_and_in_place_edits(change, needle):
    x = torch.tensor([1.0, 2.0])
    inputs = InputSnapshot(x=x)
    change(x)
    with pytest.raises(CheckFailure, match=needle) as caught:
        inputs.expect_untouched(function="f")
    assert "f changed the caller's x" in str(caught.value)


def test_untouched_catches_a_detach_in_place():
    w = torch.tensor([1.0], requires_grad=True)
    advantages = w * 2  # computed by a critic: it has a grad_fn
    inputs = InputSnapshot(advantages=advantages)
    advantages.detach_()
    with pytest.raises(CheckFailure, match=r"grad_fn MulBackward0 -> None.*detach_\(\)"):
        inputs.expect_untouched(function="f")


def test_untouched_catches_a_gradient_left_on_the_callers_leaf():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    inputs = InputSnapshot(w=w)
    (w * 3).sum().backward()
    with pytest.raises(CheckFailure, match="left a gradient"):
        inputs.expect_untouched(function="f")


def test_untouched_catches_a_gradient_added_to_the_callers_grad():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * 1).sum().backward()
    inputs = InputSnapshot(w=w)
    (w * 3).sum().backward()
    with pytest.raises(CheckFailure, match=r"\.grad changed during the call"):
        inputs.expect_untouched(function="f")


def test_untouched_names_the_first_changed_input_and_ends_with_the_concept():
    a, b = torch.zeros(2), torch.zeros(2)
    inputs = InputSnapshot(a=a, b=b)
    b.mul_(2).add_(1)
    with pytest.raises(CheckFailure, match="caller's b") as caught:
        inputs.expect_untouched(function="f", concept="Return a new tensor.")
    assert str(caught.value).endswith("\nReturn a new tensor.")


def test_untouched_catches_an_in_place_op_that_only_changes_the_graph():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    values = w * 2
    inputs = InputSnapshot(values=values)
    values.mul_(1.0)  # same numbers, but the caller's graph now has an extra step
    with pytest.raises(CheckFailure, match=r"graph \(its grad_fn is a new MulBackward0\)"):
        inputs.expect_untouched(function="f")

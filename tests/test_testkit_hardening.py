"""Tests for torchlings.testkit.hardening: the helpers catch what they promise, and only that."""

import pytest
import torch

from torchlings.testing import CheckFailure
from torchlings.testkit.hardening import (
    expect_py_float,
    expect_py_int,
    expect_untouched,
    scaled_copy,
    snapshot,
    watch_optimizers,
)


def test_py_float_accepts_numbers_and_rejects_tensors():
    assert expect_py_float(1.5, name="x") == 1.5
    assert expect_py_float(2, name="x") == 2.0
    with pytest.raises(CheckFailure, match="0-d tensor"):
        expect_py_float(torch.tensor(1.5), name="x")
    with pytest.raises(CheckFailure):
        expect_py_float(True, name="x")


def test_py_int_rejects_tensors_and_bools():
    assert expect_py_int(3, name="n") == 3
    for bad in (torch.tensor(3), True, 3.0):
        with pytest.raises(CheckFailure):
            expect_py_int(bad, name="n")


def test_untouched_passes_for_a_function_that_works_on_a_copy():
    x = torch.tensor([1.0, 2.0])
    before = snapshot(x)
    leaf = x.detach().clone().requires_grad_()
    (leaf**2).sum().backward()
    expect_untouched([x], before, names=["x"])


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda t: t.requires_grad_(), "requires_grad"),
        (lambda t: t.add_(1.0), "in-place"),
    ],
)
def test_untouched_catches_requires_grad_and_in_place_edits(change, needle):
    x = torch.tensor([1.0, 2.0])
    before = snapshot(x)
    change(x)
    with pytest.raises(CheckFailure, match=needle):
        expect_untouched([x], before, names=["x"])


def test_untouched_catches_a_gradient_left_on_the_callers_leaf():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    before = snapshot(w)
    (w * 3).sum().backward()
    with pytest.raises(CheckFailure, match="left a gradient"):
        expect_untouched([w], before, names=["w"])


def test_watch_optimizers_counts_optimizers_and_records_losses():
    model = torch.nn.Linear(2, 1)
    x, y = torch.ones(4, 2), torch.zeros(4, 1)

    def loss_now():
        return torch.nn.functional.mse_loss(model(x), y)

    with watch_optimizers(model.parameters(), loss_now) as seen:
        for _ in range(3):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # rebuilt: 3 optimizers
            optimizer.zero_grad()
            loss = loss_now()
            loss.backward()
            optimizer.step()
    assert len(seen.optimizers) == 3
    assert len(seen.losses_before) == 3
    other = torch.nn.Linear(2, 1)
    with watch_optimizers(model.parameters(), loss_now) as seen:
        torch.optim.SGD(other.parameters(), lr=0.1).step()  # not the watched model
    assert seen.optimizers == [] and seen.losses_before == []


def test_scaled_copy_scales_a_copy_only():
    layer = torch.nn.Linear(2, 2)
    original = layer.weight.detach().clone()
    probe = scaled_copy(layer, 10.0)
    assert torch.allclose(probe.weight, original * 10)
    assert torch.equal(layer.weight, original)

"""The module-observing check helpers in torchlings.checkapi.testkit.modules."""

import pytest
import torch
from torch import nn

from torchlings.checkapi.testing import CheckFailure
from torchlings.checkapi.testkit.modules import (
    call,
    expect_module,
    expect_not_affine,
    expect_not_probabilities,
    expect_rows_independent,
    params_reached_by,
    scaled_copy,
)


def test_expect_module():
    assert expect_module(nn.Linear(2, 2), name="net") is not None
    with pytest.raises(CheckFailure, match="should be a torch.nn.Module"):
        expect_module(lambda x: x, name="net")


def test_call_explains_shape_errors_and_passes_not_implemented():
    with pytest.raises(CheckFailure, match="do not line up"):
        call(nn.Linear(3, 2), torch.zeros(4, 5), name="net")
    with pytest.raises(CheckFailure, match="keepdim"):
        call(lambda a: a - a.mean(-1), torch.zeros(5, 3), name="f")
    with pytest.raises(CheckFailure, match="dim=-1"):
        call(lambda a: a.softmax(dim=1), torch.zeros(3), name="f")

    def unfinished(x):
        raise NotImplementedError("todo")

    with pytest.raises(NotImplementedError):
        call(unfinished, torch.zeros(1), name="f")


def test_expect_not_affine():
    torch.manual_seed(0)
    expect_not_affine(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)), 3, name="mlp")
    with pytest.raises(CheckFailure, match="single linear layer"):
        expect_not_affine(nn.Sequential(nn.Linear(3, 8), nn.Linear(8, 2)), 3, name="mlp")


def test_expect_rows_independent():
    x = torch.randn(4, 3)
    expect_rows_independent(lambda t: t.softmax(-1), x, name="f")
    with pytest.raises(CheckFailure, match="changed the output for the other"):
        expect_rows_independent(lambda t: t.softmax(0), x, name="f")


def test_expect_not_probabilities():
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    expect_not_probabilities(logits, name="q")
    with pytest.raises(CheckFailure, match="look like probabilities"):
        expect_not_probabilities(logits.softmax(-1), name="q")


def test_params_reached_by():
    torch.manual_seed(0)
    net = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 1)})
    out = net["a"](torch.ones(3, 2)).sum()
    assert params_reached_by(net, out) == {"a.weight", "a.bias"}


def test_scaled_copy_scales_a_copy_only():
    layer = nn.Linear(2, 2)
    original = layer.weight.detach().clone()
    probe = scaled_copy(layer, 10.0)
    assert torch.allclose(probe.weight, original * 10)
    assert torch.equal(layer.weight, original)

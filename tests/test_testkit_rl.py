"""The helpers shared by the deep-RL checks (torchlings.checkapi.testkit.rl)."""

import pytest
import torch

from torchlings.checkapi.testing import CheckFailure
from torchlings.checkapi.testkit.rl import as_action, binomial_bounds, expect_frequency


def test_bounds_are_six_sigma_wide():
    low, high = binomial_bounds(10_000, 0.5)
    assert low == pytest.approx(5000 - 6 * 50 - 1)
    assert high == pytest.approx(5000 + 6 * 50 + 1)


def test_bounds_allow_for_rounding_at_certainty():
    low, high = binomial_bounds(100, 1.0)
    assert low < 100 < high


def test_frequency_inside_passes_outside_fails():
    expect_frequency(2600, 10_000, 0.25, name="action 0")
    with pytest.raises(CheckFailure) as caught:
        expect_frequency(3300, 10_000, 0.25, name="action 0", concept="the idea")
    assert "action 0 came up 3300 times" in caught.value.message
    assert caught.value.message.endswith("the idea")


def test_as_action_accepts_int_and_integer_tensors():
    assert as_action(2, name="a") == 2
    assert as_action(torch.tensor(3), name="a") == 3
    assert as_action(torch.tensor([1]), name="a") == 1


@pytest.mark.parametrize("value", [1.0, True, torch.tensor(0.5), torch.tensor([1, 2])])
def test_as_action_rejects_non_indices(value):
    with pytest.raises(CheckFailure):
        as_action(value, name="the action")

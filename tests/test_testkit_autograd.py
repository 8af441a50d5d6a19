"""torchlings.checkapi.testkit.autograd: autograd's errors become teaching failures."""

import traceback

import pytest
import torch

from torchlings.checkapi.testing import CheckFailure
from torchlings.checkapi.testkit.autograd import call_autograd


def backward_on_a_vector(x):
    y = x.detach().clone().requires_grad_() * 2
    y.backward()


def test_known_error_becomes_a_check_failure_that_keeps_the_learner_line():
    with pytest.raises(CheckFailure) as info:
        call_autograd(backward_on_a_vector, torch.ones(3), name="f(x)", concept="Reduce y.")
    failure = info.value
    assert failure.message.startswith("f(x) raised autograd's error: grad can be implicitly")
    assert failure.message.endswith("Reduce y.")
    assert failure.details["kind"] == "autograd_error"
    # The report finds the learner's line in the traceback.
    names = [frame.name for frame in traceback.extract_tb(failure.__traceback__)]
    assert "backward_on_a_vector" in names


def test_story_added_where_the_report_has_none():
    def make_inference_target():
        with torch.inference_mode():
            target = torch.ones(2) * 2
        w = torch.ones(2, requires_grad=True)
        (w * target).sum().backward()

    with pytest.raises(CheckFailure, match="inference_mode"):
        call_autograd(make_inference_target, name="g()")


def test_other_errors_and_results_pass_through():
    assert call_autograd(lambda a, b: a + b, 1, b=2, name="add") == 3
    with pytest.raises(ValueError):
        call_autograd(int, "not a number", name="int")
    with pytest.raises(RuntimeError, match="unrelated"):
        call_autograd(lambda: (_ for _ in ()).throw(RuntimeError("unrelated")), name="h()")

"""The assertion helpers' messages and details: what a learner reads when a check fails."""

from __future__ import annotations

import pytest
import torch

from torchlings.checkapi import details as typed
from torchlings.checkapi.testing import (
    CheckFailure,
    NotDone,
    collected_notes,
    expect,
    expect_choice,
    expect_close,
    expect_tensor,
    with_concept,
)


def failure_of(fn, *args, **kwargs) -> CheckFailure:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return info.value


def test_a_right_tensor_passes_every_step_and_is_returned():
    t = torch.ones(2, 3, requires_grad=True) * 2
    out = expect_tensor(t, name="y", shape=(2, 3), dtype=torch.float32, device="cpu",
                        requires_grad=True, grad_fn=True, finite=True, values=torch.full((2, 3), 2.0))
    assert out is t


def test_not_a_tensor():
    failure = failure_of(expect_tensor, [1, 2], name="the logits")
    assert failure.message == "the logits should be a torch.Tensor, but it is list ([1, 2])."
    assert typed.from_dict(failure.details) == typed.PropertyMismatch(
        "type", "the logits", "torch.Tensor", "list")


def test_the_square_broadcast_is_named_as_the_accident():
    failure = failure_of(expect_tensor, torch.zeros(4, 4), name="the TD error", shape=(4,))
    first, story = failure.message.splitlines()
    assert first == "the TD error has shape (4, 4), expected (4,)."
    assert "broadcasting accident" in story and "(4, 1) column met a (4,) row" in story
    assert failure.details == {"kind": "shape", "name": "the TD error", "expected": [4],
                               "actual": [4, 4], "broadcast": True}


@pytest.mark.parametrize(("actual", "expected", "story", "broadcast"), [
    ((3, 1), (3,), "extra trailing dimension of size 1", True),
    ((3,), (3, 1), "trailing dimension of size 1 is missing", False),
    ((2, 5), (5, 2), "same sizes in another order", False),
])
def test_other_shape_stories(actual, expected, story, broadcast):
    failure = failure_of(expect_tensor, torch.zeros(actual), name="x", shape=expected)
    assert story in failure.message
    assert failure.details["broadcast"] is broadcast


def test_a_shape_with_no_story_is_one_sentence():
    failure = failure_of(expect_tensor, torch.zeros(3), name="x", shape=(7,))
    assert failure.message == "x has shape (3,), expected (7,)."


def test_the_concept_comes_last_on_its_own_line():
    failure = failure_of(expect_tensor, torch.zeros(3), name="x", shape=(7,),
                         concept="Rollouts are time-major.")
    assert failure.message.splitlines() == ["x has shape (3,), expected (7,).",
                                            "Rollouts are time-major."]
    assert with_concept("a", "") == "a" and with_concept("a", "b") == "a\nb"


def test_shape_is_checked_before_dtype():
    failure = failure_of(expect_tensor, torch.zeros(3, dtype=torch.int64), name="x",
                         shape=(2,), dtype=torch.float32)
    assert failure.details["kind"] == "shape"


def test_dtype_and_device():
    failure = failure_of(expect_tensor, torch.zeros(2, dtype=torch.int64), name="labels",
                         dtype=torch.float32)
    assert failure.message == "labels has dtype torch.int64, expected torch.float32."
    assert failure.details["kind"] == "dtype"
    failure = failure_of(expect_tensor, torch.zeros(2), name="x", device="meta")
    assert failure.message == "x is on device cpu, expected meta."


def test_requires_grad_both_ways():
    failure = failure_of(expect_tensor, torch.zeros(2), name="w", requires_grad=True)
    assert "w does not require grad" in failure.message and "no gradient can reach it" in failure.message
    tracked = torch.zeros(2, requires_grad=True) + 1
    failure = failure_of(expect_tensor, tracked, name="target", requires_grad=False)
    assert "target still requires grad (grad_fn=AddBackward0)" in failure.message


def test_grad_fn_both_ways():
    failure = failure_of(expect_tensor, torch.zeros(2), name="y", grad_fn=True)
    assert "y has no grad_fn" in failure.message and "detach, no_grad" in failure.message
    tracked = torch.zeros(2, requires_grad=True) * 3
    failure = failure_of(expect_tensor, tracked, name="target", grad_fn=False)
    assert "target carries grad_fn=MulBackward0" in failure.message
    assert "torch.no_grad()" in failure.message
    assert failure.details["actual"] == "MulBackward0"


def test_non_finite_values_name_the_first_index():
    t = torch.tensor([[1.0, 2.0], [float("nan"), float("inf")]])
    failure = failure_of(expect_tensor, t, name="the loss", finite=True)
    assert failure.message == ("the loss has 2 non-finite value(s) (NaN or Inf); the first is "
                               "at index (1, 0): nan.")
    assert typed.from_dict(failure.details) == typed.NonFinite("the loss", 2, [1, 0])


def test_a_float_value_mismatch_lists_the_first_elements():
    got = torch.arange(8.0)
    want = got.clone()
    want[[1, 3, 4, 5, 6, 7]] += 10
    failure = failure_of(expect_tensor, got, name="the returns", values=want)
    assert failure.message == ("the returns has the wrong values: 6 of 8 element(s) differ "
                               "(atol=1e-06, rtol=1e-05). First at index [1]: got 1, expected 11.")
    detail = typed.from_dict(failure.details)
    assert isinstance(detail, typed.ValueMismatch)
    assert detail.mismatched == 6 and detail.total == 8
    assert [row.index for row in detail.first] == [[1], [3], [4], [5], [6]]
    assert detail.first[0] == typed.Mismatch([1], 1.0, 11.0)
    assert detail.headline.endswith("differ (atol=1e-06, rtol=1e-05).")


def test_an_integer_value_mismatch_is_exact():
    failure = failure_of(expect_tensor, torch.tensor([[0, 1], [2, 3]]), name="actions",
                         values=[[0, 1], [2, 2]])
    assert failure.message == ("actions has the wrong values: 1 of 4 element(s) differ. "
                               "First at index [1, 1]: got 3, expected 2.")
    assert failure.details["tolerance"] == "exact"


def test_values_within_tolerance_pass_and_a_scalar_broadcasts():
    expect_tensor(torch.tensor([1.0, 1.0 + 1e-7]), name="x", values=1.0)
    failure = failure_of(expect_tensor, torch.tensor([1.0, 2.0]), name="x", values=1.0)
    assert "1 of 2 element(s) differ" in failure.message


def test_expect_close_on_numbers():
    expect_close(0.1 + 0.2, 0.3, name="sum")
    failure = failure_of(expect_close, 2.5, 3, name="the mean return")
    assert failure.message == "the mean return is 2.5, expected 3."  # an int stays one
    failure = failure_of(expect_close, 2.5, 3.0, name="the mean return")
    assert failure.message == "the mean return is 2.5, expected 3.0."
    assert typed.from_dict(failure.details) == typed.NumberMismatch(
        "the mean return", 3.0, 2.5, 1e-6, 1e-5)
    failure = failure_of(expect_close, True, 1.0, name="flag")
    assert failure.message == "flag should be a number, but it is bool (True)."


def test_expect_close_on_tensors_checks_shape_first():
    failure = failure_of(expect_close, torch.zeros(3, 1), torch.zeros(3), name="v")
    assert failure.details["kind"] == "shape"
    assert "extra trailing dimension" in failure.message


def test_expect_choice_unset_wrong_and_right():
    class Answer:
        ANSWER = None

    choices = {"a": "the graph is freed", "b": "nothing happens"}
    with pytest.raises(NotDone) as info:
        expect_choice(Answer, "ANSWER", correct="a", choices=choices, why="Because.")
    assert str(info.value) == ("The question is not answered yet: set ANSWER to one of\n"
                               "  'a': the graph is freed\n  'b': nothing happens")
    Answer.ANSWER = "z"
    failure = failure_of(expect_choice, Answer, "ANSWER", correct="a", choices=choices, why="")
    assert failure.message.startswith("ANSWER = 'z' is not one of the choices:\n  'a':")
    Answer.ANSWER = "b"
    failure = failure_of(expect_choice, Answer, "ANSWER", correct="a", choices=choices, why="")
    assert failure.message.startswith("ANSWER = 'b' (nothing happens) is not right.")
    assert typed.from_dict(failure.details) == typed.WrongChoice("ANSWER", "'b'")
    Answer.ANSWER = "a"
    expect_choice(Answer, "ANSWER", correct="a", choices=choices, why="Backward frees it.")
    assert collected_notes()[-1] == "ANSWER = 'a' is right. Backward frees it."


def test_expect_keeps_the_authors_details():
    expect(True, "never shown")
    failure = failure_of(expect, 0, "the buffer is empty", kind="custom", size=0)
    assert failure.message == "the buffer is empty"
    assert failure.details == {"kind": "custom", "size": 0}
    assert typed.from_dict(failure.details) is None  # shown as the message alone


def test_a_shape_in_another_order_names_no_remedy_an_exercise_may_contradict():
    # Rollout shapes want no transpose; creating tensors wants the arguments swapped.
    failure = failure_of(expect_tensor, torch.zeros(5, 2), name="x", shape=(2, 5))
    assert "transpose" not in failure.message and "permute" not in failure.message

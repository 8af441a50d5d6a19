"""Check: find the parameters whose gradients hold NaN or Inf; what anomaly detection does."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_choice, fail

CONCEPT = (
    "torch.isfinite(g) is False for NaN, +Inf and -Inf alike; a gradient is bad if any element "
    "is not finite: `not torch.isfinite(p.grad).all()`. Skip parameters whose .grad is None."
)


def _model():
    torch.manual_seed(0)
    return nn.ModuleDict({
        "trunk": nn.Linear(3, 4),
        "policy": nn.Linear(4, 2),
        "value": nn.Linear(4, 1),
        "unused": nn.Linear(4, 4),
    })


def _find(exercise, model):
    try:
        return _names(exercise.nonfinite_grads(model))
    except (TypeError, AttributeError) as error:
        if "NoneType" not in str(error):
            raise
        fail(f"nonfinite_grads stopped with: {error}. The 'unused' layer took no part in the "
             "loss, so its parameters' .grad is None: skip those (`if p.grad is None: "
             "continue`) before looking at the values.\n" + CONCEPT)


def _names(result):
    expect(isinstance(result, (list, tuple)) and all(isinstance(n, str) for n in result),
           f"nonfinite_grads should return a list of parameter names, got {result!r}.\n"
           + CONCEPT)
    return set(result)


def test_finite_gradients_flag_nothing(exercise):
    """Ordinary gradients, and parameters with no gradient, are not reported."""
    model = _model()
    for name, parameter in model.named_parameters():
        if not name.startswith("unused"):
            parameter.grad = torch.randn_like(parameter)
    found = _find(exercise, model)
    expect(not found, f"Nothing is wrong with these gradients, but {sorted(found)} were reported. "
           + CONCEPT)


def test_huge_finite_gradients_are_not_flagged(exercise):
    """Gradients near float32's largest value are finite: not reported (no sum that overflows)."""
    model = _model()
    for name, parameter in model.named_parameters():
        if not name.startswith("unused"):
            parameter.grad = torch.full_like(parameter, 3e38)  # finite; their sum is not
    model["value"].bias.grad = torch.tensor([-3e38])
    found = _find(exercise, model)
    expect(not found,
           f"Every gradient here is finite (about 3e38, near float32's largest number), but "
           f"{sorted(found)} were reported. Test the elements themselves: summing them first "
           "(or squaring them, as a norm does) overflows to inf. " + CONCEPT)


def test_nan_and_inf_are_found(exercise):
    """A single NaN, +Inf or -Inf anywhere in a gradient is reported, and nothing else."""
    model = _model()
    for name, parameter in model.named_parameters():
        if not name.startswith("unused"):
            parameter.grad = torch.randn_like(parameter)
    model["trunk"].weight.grad[1, 2] = float("nan")
    model["policy"].bias.grad[0] = float("inf")
    model["value"].weight.grad[0, 3] = float("-inf")
    found = _find(exercise, model)
    want = {"trunk.weight", "policy.bias", "value.weight"}
    missed, extra = want - found, found - want
    expect(not missed, f"Missed the bad gradient(s) of {sorted(missed)} (one NaN in "
           "trunk.weight, one +Inf in policy.bias, one -Inf in value.weight). " + CONCEPT)
    expect(not extra, f"Reported {sorted(extra)}, whose gradients are all finite. " + CONCEPT)


def test_gradients_from_a_real_backward(exercise):
    """A log(0) in the loss shows up in the gradients of the layers it flows back into."""
    model = _model()
    obs = torch.randn(5, 3)
    hidden = model["trunk"](obs)
    mask = torch.tensor([1.0, 0.0])  # masks out an action: a probability of exactly 0
    probs = torch.softmax(model["policy"](hidden), dim=-1) * mask
    loss = -torch.log(probs).mean() + model["value"](hidden).pow(2).mean()
    loss.backward()
    found = _find(exercise, model)
    expect({"trunk.weight", "policy.weight"} <= found and not found & {"value.weight"},
           "After a loss containing log(0), the trunk and policy gradients are not finite while "
           f"the value head's are; you reported {sorted(found)}. " + CONCEPT)


def test_anomaly_detection(exercise):
    """What detect_anomaly does."""
    expect_choice(
        exercise, "ANSWER", correct="a",
        choices={
            "a": "backward() raises an error at the first operation whose gradient comes out "
                 "NaN, and shows the line of your forward pass that created that operation",
            "b": "it replaces NaN gradients with zeros so that training can go on",
            "c": "it checks the loss for NaN before backward() starts, at no extra cost",
        },
        why="torch.autograd.detect_anomaly() remembers where each forward operation was "
            "created and checks every gradient backward computes; the error names the "
            "operation and prints its forward traceback. It slows training down a lot, so "
            "turn it on only while hunting a NaN.",
    )

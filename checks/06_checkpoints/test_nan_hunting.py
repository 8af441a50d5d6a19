"""Check: find the parameters whose gradients hold NaN or Inf; what anomaly detection does."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_choice, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

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


# The contract: over dtypes (float64's huge finite numbers, float16's small range), which
# kind of bad value, and how many parameters have no gradient, the names are exactly the
# parameters with a non-finite gradient, and every .grad is left as it was: a hunt for NaNs
# reports, it does not repair (nan_to_num_, .grad = None) behind the caller's back.
_BAD = {"nan": float("nan"), "+inf": float("inf"), "-inf": float("-inf")}
GRADS_AFTER = "every .grad after the call"


def _grads(model):
    return {name: None if p.grad is None else p.grad.clone() for name, p in model.named_parameters()}


def _reference(model):
    bad = [name for name, p in model.named_parameters()
           if p.grad is not None and not torch.isfinite(p.grad).all()]
    return {"names, sorted": sorted(bad), GRADS_AFTER: _grads(model)}


def _calling(nonfinite_grads):
    def run(model):
        found = nonfinite_grads(model)
        names = sorted(found) if isinstance(found, (list, tuple)) else found
        return {"names, sorted": names, GRADS_AFTER: _grads(model)}
    return run


def _diagnose_contract(case, got, want):
    if not isinstance(got, dict) or not isinstance(got.get("names, sorted"), list):
        return
    after, before = got[GRADS_AFTER], want[GRADS_AFTER]
    for name, grad in before.items():
        now = after.get(name)
        changed = (grad is None) != (now is None) or (
            grad is not None and not torch.equal(grad.nan_to_num(1.0, 2.0, 3.0),
                                                 now.nan_to_num(1.0, 2.0, 3.0)))
        if changed:
            fail(f"With {case.label}, nonfinite_grads changed the gradient of {name!r} "
                 "(replaced its NaN/Inf, or set .grad to None). It only reports: the caller "
                 "decides what to do (skip the step, lower the learning rate), and needs the "
                 "gradients as backward left them to find the cause.\n" + CONCEPT)
    missed = set(want["names, sorted"]) - set(got["names, sorted"])
    extra = set(got["names, sorted"]) - set(want["names, sorted"])
    if extra and case.axes["huge"]:
        fail(f"With {case.label}, {sorted(extra)} were reported, but their gradients are finite: "
             f"huge values near {case.axes['dtype']}'s largest number. Test the gradient in its "
             "own dtype (a .float() of a float64 gradient turns 1e300 into inf; a sum or a norm "
             "overflows).\n" + CONCEPT)
    if missed or extra:
        fail(f"With {case.label}, missed {sorted(missed)} and wrongly reported {sorted(extra)}."
             "\n" + CONCEPT)


def test_nonfinite_grads_contract(exercise):
    """Other dtypes, NaN / +Inf / -Inf, huge finite values, missing gradients: exact names, grads kept."""
    def inputs(draw):
        torch.manual_seed(draw.seed() % 10_000)
        model = nn.ModuleDict({f"layer{i}": nn.Linear(3, 2) for i in range(draw["layers"])})
        model = model.to(draw["dtype"])
        biggest = torch.finfo(draw["dtype"]).max
        for index, parameter in enumerate(model.parameters()):
            if index % 3 == 2:
                continue  # no gradient: this parameter took no part in the loss
            grad = draw.randn(*parameter.shape, dtype=draw["dtype"])
            if draw["huge"]:
                grad = grad.sign() * (0.9 * biggest)
            if draw.random.random() < 0.5:
                position = draw.random.randrange(grad.numel())
                grad.view(-1)[position] = _BAD[draw["bad"]]
            parameter.grad = grad
        return Args(model)

    check_contract(Contract(
        function="nonfinite_grads", call=_calling(exercise.nonfinite_grads),
        reference=_reference, inputs=inputs,
        axes={"dtype": [torch.float32, torch.float64, torch.float16], "bad": list(_BAD),
              "huge": [False, True], "layers": [1, 4]},
        atol=0.0, rtol=0.0, tolerance={torch.float64: (0.0, 0.0), torch.float16: (0.0, 0.0)},
        gradients=False, budget=10, diagnose=_diagnose_contract, concept=CONCEPT))

"""Check: MSE without the (B,) vs (B, 1) broadcast, R², and a regressor that fits."""

import torch

from torchlings.checkapi.testing import (
    expect,
    expect_close,
    expect_tensor,
    fail,
    record_series,
    with_concept,
)
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

BROADCAST = (
    "A (B, 1) prediction minus a (B,) target broadcasts to (B, B): every prediction against "
    "every target. Make the shapes equal first, by bringing the prediction to the target's "
    "shape: pred.squeeze(-1) or pred.view_as(target)."
)
R2 = "R² = 1 - sum((target - pred)²) / sum((target - target.mean())²), as a Python float."
FAR = 1000.0  # targets around here: returns in the thousands are common
MSE = (
    "mse_loss is the mean over the batch of (pred - target)², the prediction brought to the "
    "target's shape first: a 0-d tensor in the inputs' dtype, with its graph."
)


def _near(value, expected):
    """Whether a returned R² (a float, or a one-element tensor) is within 1e-5 of `expected`."""
    try:
        return abs(float(value) - expected) <= 1e-5
    except (TypeError, ValueError, RuntimeError):
        return False  # not a number at all: expect_close says what it is


def _case():
    generator = torch.Generator().manual_seed(0)
    target = torch.randn(6, generator=generator)
    pred = target + 0.5 * torch.randn(6, generator=generator)
    return pred, target


def test_mse_with_column_predictions(exercise):
    """mse_loss of (B, 1) or (B,) predictions against (B,) targets compares row with row."""
    pred, target = _case()
    want = ((pred - target) ** 2).mean()
    for shaped, label in ((pred.unsqueeze(1), "(B, 1)"), (pred, "(B,)")):
        shaped = shaped.clone().requires_grad_()
        loss = exercise.mse_loss(shaped, target)
        expect_tensor(loss, name=f"mse_loss of {label} predictions", shape=(), grad_fn=True)
        wrong = ((pred.unsqueeze(1) - target) ** 2).mean()
        if torch.allclose(loss.detach(), wrong, atol=1e-6) and label == "(B, 1)":
            fail(f"mse_loss of (6, 1) predictions and (6,) targets is {loss.item():.4f}, "
                 f"expected {want.item():.4f}. {BROADCAST}", kind="shape",
                 expected=[6], actual=[6, 6], broadcast=True)
        if torch.allclose(loss.detach(), wrong, atol=1e-6):
            fail(f"mse_loss of (6,) predictions and (6,) targets is {loss.item():.4f}, "
                 f"expected {want.item():.4f}: the two met as (6,) and (6, 1) and broadcast to "
                 "(6, 6). Unsqueezing the target fixes (B, 1) predictions only; a (B,) "
                 "prediction then meets a (B, 1) target. Bring the prediction to the "
                 "target's shape instead: pred.squeeze(-1) or pred.view_as(target).",
                 kind="shape", expected=[6], actual=[6, 6], broadcast=True)
        expect_tensor(loss, name=f"mse_loss of {label} predictions", values=want, atol=1e-6,
                      concept=BROADCAST)


def test_r2(exercise):
    """R² is 1 for a perfect fit, 0 for predicting the mean, and 1 - SSres/SStot in general."""
    pred, target = _case()
    want = 1 - ((target - pred) ** 2).sum() / ((target - target.mean()) ** 2).sum()
    for name, column, expected in (("a perfect (B, 1) prediction", target.clone(), 1.0),
                                   ("a noisy (B, 1) prediction", pred, want.item())):
        got = exercise.r2_score(column.unsqueeze(1), target)
        if not _near(got, expected):
            _name_bessel(got, column, target, expected)
            # Right for a (B,) prediction but not for the (B, 1) one: the shapes are the bug.
            flat = exercise.r2_score(column.clone(), target)
            concept = R2 + " " + BROADCAST if _near(flat, expected) else R2
            expect_close(got, expected, name=f"R² of {name}", atol=1e-5, concept=concept)
    expect_close(exercise.r2_score(torch.full((6,), target.mean().item()), target), 0.0,
                 name="R² of always predicting the mean target", atol=1e-5, concept=R2)


def test_r2_is_a_python_float(exercise):
    """r2_score returns a Python float, as its docstring says (not a 0-d tensor)."""
    pred, target = _case()
    expect_py_float(exercise.r2_score(pred.unsqueeze(1), target),
                    name="the value r2_score returns",
                    concept=R2 + " Finish with .item().")


def _drawn_pair(draw, dtype, offset=0.0):
    """Targets around an offset (returns far from 0 are common in RL) and predictions of the
    case's quality, in the case's shape and the given dtype."""
    batch = draw["batch"]
    target = draw.randn(batch, dtype=dtype) + offset
    if batch > 1:  # R² needs targets that vary; randn ties are out of the question, but be sure
        target[0] = target[1] + 1.0
    pred = target + draw["noise"] * draw.randn(batch, dtype=dtype)
    if draw["pred"] == "(B, 1)":
        pred = pred.unsqueeze(-1)
    return pred.requires_grad_(draw.get("graph", True)), target


def _name_bessel(got, pred, target, want):
    """Fail naming it when R² came out as 1 - MSE / target.var(): var() divides by B - 1."""
    if not isinstance(got, (float, int)):
        return
    residual = (pred.detach().double().reshape(target.shape) - target.double()) ** 2
    unbiased = 1 - residual.mean().item() / target.double().var().item()
    if abs(got - unbiased) < 1e-5 * max(1.0, abs(unbiased)):
        batch = len(target)
        fail(with_concept(
            f"With a batch of {batch}, R² is {got:.6g}, and the promise gives {want:.6g}: the "
            "mean squared residual was divided by target.var(), which divides by "
            f"B - 1 = {batch - 1}, not by B. Use var(correction=0) (unbiased=False), or the "
            "two sums of the formula.", R2))


def _reference_r2(pred, target):
    pred, target = pred.detach().double().reshape(target.shape), target.double()
    return (1 - ((target - pred) ** 2).sum() / ((target - target.mean()) ** 2).sum()).item()


def test_mse_contract(exercise):
    """mse_loss on any batch (one included), both shapes, float32 and float64, with its graph."""
    def inputs(draw):
        return Args(*_drawn_pair(draw, draw["dtype"]))

    def diagnose(case, got, want):
        if isinstance(got, torch.Tensor) and got.shape != ():
            fail(with_concept(f"mse_loss returned a tensor of shape {tuple(got.shape)}; a loss "
                              "is one number, a 0-d tensor: take the mean over the batch.",
                              BROADCAST))
        pred, target = case.inputs.args
        table = ((pred.detach() - target) ** 2).mean() if pred.dim() == 2 else None
        if (isinstance(got, torch.Tensor) and table is not None and case.axes["batch"] > 1
                and torch.allclose(got.detach().double(), table.double(), rtol=1e-4)):
            fail(with_concept(f"With {case.label}, mse_loss gives the mean of the (B, B) table "
                              "of every prediction against every target.", BROADCAST))

    check_contract(Contract(
        function="mse_loss", call=exercise.mse_loss,
        reference=lambda pred, target: ((pred.reshape(target.shape) - target) ** 2).mean(),
        inputs=inputs,
        axes={"batch": [1, 5, 64], "pred": ["(B, 1)", "(B,)"],
              "dtype": [torch.float32, torch.float64], "noise": [0.5, 3.0]},
        budget=8, diagnose=diagnose, concept=MSE))


def test_r2_contract(exercise):
    """r2_score on batches of 2 and more, both shapes, both dtypes, bad fits, far targets."""
    def inputs(draw):
        dtype = torch.float64 if draw["targets"] == "float64" else torch.float32
        return Args(*_drawn_pair(draw, dtype, FAR if "around" in draw["targets"] else 0.0))

    def diagnose(case, got, want):
        pred, target = case.inputs.args
        if not isinstance(got, float):
            return  # the harness says what a Python float is
        _name_bessel(got, pred, target, want)
        if "around" in case.axes["targets"]:
            centred = exercise.r2_score(pred.detach() - FAR, target - FAR)
            if isinstance(centred, float) and abs(centred - want) < 1e-4:
                fail(with_concept(
                    f"With targets around {FAR:g} ({case.label}), R² is "
                    f"{got:.6g}, and the promise gives {want:.6g}; moved to around 0, the same "
                    "data gives the right R². A one-pass form such as sum(t²) - B·mean² "
                    "subtracts two large, nearly equal numbers and loses the digits that "
                    "matter: subtract the mean first, sum((t - t.mean())²).", R2))

    check_contract(Contract(
        function="r2_score", call=exercise.r2_score, reference=_reference_r2, inputs=inputs,
        # Targets far from 0 in float32 on their own axis value, so that they meet batches of
        # 5 and 64: two targets have too few digits to lose.
        axes={"batch": [2, 5, 64], "targets": ["float32", "float64", f"float32 around {FAR:g}"],
              "pred": ["(B, 1)", "(B,)"], "noise": [0.3, 3.0], "graph": [False, True]},
        budget=12, atol=1e-5, rtol=1e-5, diagnose=diagnose, concept=R2))


def test_regressor_fits(exercise):
    """Trained on y = sin(2x) + 0.3x + noise, the regressor reaches R² >= 0.9 on new points."""
    torch.set_num_threads(1)  # a tiny model: extra threads only add overhead on a busy CPU
    generator = torch.Generator().manual_seed(1)

    def data(n):
        x = 4 * torch.rand(n, 1, generator=generator) - 2
        y = torch.sin(2 * x[:, 0]) + 0.3 * x[:, 0] + 0.1 * torch.randn(n, generator=generator)
        return x, y

    x_train, y_train = data(256)
    x_test, y_test = data(256)
    torch.manual_seed(0)
    # 100 steps reach R² of about 0.98 with a right loss, and half the default's time.
    model, losses = exercise.train_regressor(x_train, y_train, steps=100)
    record_series("loss", losses)
    with torch.no_grad():
        pred = model(x_test)[:, 0]
    r2 = (1 - ((y_test - pred) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum()).item()
    expect(r2 >= 0.9,
           f"The trained regressor's R² on new points is {r2:.3f}; a working fit reaches about "
           "0.98. Near 0 means it learned to predict the average target for every input, the "
           "signature of training on a broadcast loss. " + BROADCAST)

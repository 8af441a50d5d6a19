"""Check: MSE without the (B,) vs (B, 1) broadcast, R², and a regressor that fits."""

import torch

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail, record_series
from torchlings.checkapi.testkit.contracts import expect_py_float

BROADCAST = (
    "A (B, 1) prediction minus a (B,) target broadcasts to (B, B): every prediction against "
    "every target. Make the shapes equal first, by bringing the prediction to the target's "
    "shape: pred.squeeze(-1) or pred.view_as(target)."
)
R2 = "R² = 1 - sum((target - pred)²) / sum((target - target.mean())²), as a Python float."


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
    model, losses = exercise.train_regressor(x_train, y_train)
    record_series("loss", losses)
    with torch.no_grad():
        pred = model(x_test)[:, 0]
    r2 = (1 - ((y_test - pred) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum()).item()
    expect(r2 >= 0.9,
           f"The trained regressor's R² on new points is {r2:.3f}; a working fit reaches about "
           "0.98. Near 0 means it learned to predict the average target for every input, the "
           "signature of training on a broadcast loss. " + BROADCAST)

"""Regression: mean squared error, the (B,) vs (B, 1) trap, and R².

A regression network outputs one number per example, usually with shape
(B, 1) because its last layer is `nn.Linear(hidden, 1)`. The targets are
often a plain (B,) vector. Subtracting one from the other does not fail:
broadcasting turns (B, 1) - (B,) into a (B, B) table of every prediction
minus every target, and its mean is a perfectly finite, perfectly wrong
loss. Trained on it, the network learns to predict the average target for
every input. `nn.functional.mse_loss` only warns. Make the shapes equal
first, by bringing the prediction to the target's shape: `pred.squeeze(-1)`
or `pred.view_as(target)`. (`target.unsqueeze(-1)` fixes a (B, 1)
prediction, but a (B,) one then meets a (B, 1) target: the same table.)

The loss value alone does not say whether a fit is good: it depends on the
units of the target. R² ("coefficient of determination") does:

    R² = 1 - sum((target - pred)²) / sum((target - mean(target))²)

1 is a perfect fit; 0 is no better than always predicting the mean target;
below 0 is worse than that. Once both functions work, the check trains the
network on a noisy curve and expects R² of at least 0.9 on new points.

Why RL cares: value functions and critics are regressions. A critic whose
(B, 1) output meets (B,) returns in its loss learns the average return and
nothing else, and every advantage computed from it is noise. Explained
variance, the R² of the value function, is a standard diagnostic in PPO logs.
"""

import torch
from torch import nn


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error. `pred` is (B, 1) or (B,); `target` is (B,).

    A 0-d tensor in the inputs' dtype that keeps its graph: it is a loss, and
    backward() starts from it.
    """
    # TODO: this is wrong whenever pred is (B, 1)
    return ((pred - target) ** 2).mean()


def r2_score(pred: torch.Tensor, target: torch.Tensor) -> float:
    """R² of `pred` ((B, 1) or (B,)) against `target` (B,), as a Python float.

    `pred` may come straight from a model, graph and all. Float32 or float64;
    the targets may sit far from zero (returns in the thousands). They
    must vary: with a batch of one, or all targets equal,
    sum((target - mean(target))²) is 0 and R² is undefined.
    """
    # TODO
    raise NotImplementedError("1 - residual sum of squares / total sum of squares")


def train_regressor(x: torch.Tensor, y: torch.Tensor, steps: int = 200):
    """Fit a small network to y (B,) from x (B, 1); return it and the loss of each step."""
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(steps):
        loss = mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses

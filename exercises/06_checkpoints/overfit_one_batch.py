"""Overfit one tiny batch: the first sanity test of any training code.

Before you spend hours training, check that your model, loss and optimizer
can learn at all. Take ONE small batch -- say 16 examples -- and train on
that same batch again and again. A network with thousands of weights can
memorise 16 examples, even with random targets, so the loss must fall to
almost zero. If it does not, something in the pipeline is broken (a shape
bug, a detached tensor, a wrong sign), and no amount of data or patience
will fix it.

Two things defeat the test. Drawing a new batch every step turns it back
into ordinary training, where random targets cannot be memorised. And a
loss that compares a (B, 1) prediction with a (B,) target silently
broadcasts to (B, B): every prediction is pushed towards every target at
once, and the loss stops well above zero.

Why RL cares: an RL agent's loss is expected to be noisy and to rise and
fall as the data changes, so "the loss looks odd" tells you nothing.
Overfitting one fixed batch of transitions is the quickest way to tell a
bug in the update from RL simply being hard.
"""

import torch
from torch import nn


def overfit_one_batch(
    model: nn.Module, sample_batch, steps: int = 300, lr: float = 1e-2
) -> list[float]:
    """Train `model` for `steps` Adam steps on one batch; return the loss of each step.

    `sample_batch()` returns a fresh random batch `(obs, targets)` each time it is
    called: obs of shape (B, obs_dim) and targets of shape (B,), float32 or
    float64 like the model. The model maps (B, obs_dim) to (B, 1); it may come
    with gradients in `.grad` left over from earlier use, which must not leak
    into the first update. Each step is one update of the mean squared error by
    a single `torch.optim.Adam(model.parameters(), lr=lr)` kept for the whole
    run. The result is a list of `steps` Python floats: the loss each step
    trained on, taken before its update (the first is the loss of the model as
    it came in).
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        # TODO: the loss never gets near zero. Two things here defeat the test.
        obs, targets = sample_batch()
        predictions = model(obs)
        loss = nn.functional.mse_loss(predictions, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

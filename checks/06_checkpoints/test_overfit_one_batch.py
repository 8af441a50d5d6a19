"""Check: training on one fixed batch drives the loss to almost zero."""

import warnings

import torch
from torch import nn

from torchlings.testing import expect, record_series

STEPS = 120
LR = 2e-2
THRESHOLD = 1e-3


class _Sampler:
    """Hands out a new random batch of 16 noise targets each call, and counts the calls."""

    def __init__(self):
        self.generator = torch.Generator().manual_seed(5)
        self.batches = []

    def __call__(self):
        obs = torch.randn(16, 4, generator=self.generator)
        targets = torch.randn(16, generator=self.generator)
        self.batches.append((obs, targets))
        return obs, targets


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    )


def test_memorises_one_batch(exercise):
    """The loss on the one batch falls below 1e-3 within 120 steps."""
    torch.set_num_threads(1)  # a tiny model: extra threads only add overhead on a busy CPU
    sampler = _Sampler()
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mse_loss warns about broadcasting; the check explains
        losses = exercise.overfit_one_batch(model, sampler, steps=STEPS, lr=LR)
    length = f" of length {len(losses)}" if hasattr(losses, "__len__") else ""
    expect(isinstance(losses, list) and len(losses) == STEPS,
           f"overfit_one_batch should return a list with one loss per step ({STEPS}), got "
           f"{type(losses).__name__}{length}.")
    expect(all(isinstance(v, float) for v in losses),
           "Return the losses as Python floats (loss.item()), not tensors: a list of loss "
           "tensors keeps every step's graph alive.")
    record_series("loss", losses)
    expect(len(sampler.batches) >= 1, "overfit_one_batch never called sample_batch().")
    obs, targets = sampler.batches[-1]
    with torch.no_grad():
        final = nn.functional.mse_loss(model(obs).squeeze(-1), targets).item()
    if len(sampler.batches) > 1:
        expect(final < THRESHOLD,
               f"sample_batch() was called {len(sampler.batches)} times, so the model saw a new "
               f"batch of random targets at each step and could not memorise any (final MSE "
               f"{final:.3g}). The sanity test draws ONE batch before the loop and trains on it "
               "every step.")
    expect(final < THRESHOLD,
           f"After {STEPS} steps on one batch, the model's MSE on it is {final:.3g}, expected "
           f"below {THRESHOLD:g}. A model this size can memorise 16 examples, so the pipeline "
           "is broken. Look at the shapes the loss compares: the model returns (B, 1), the "
           "targets are (B,), and mse_loss broadcasts the two to (B, B). Make them the same "
           "shape (squeeze(-1) the predictions).")
    expect(losses[-1] < THRESHOLD,
           f"Your last recorded loss is {losses[-1]:.3g}, but the model's actual MSE on the batch "
           f"is {final:.3g}: record the loss you train on.")

"""Check: training on one fixed batch drives the loss to almost zero.

The run happens once (a module fixture), watched from outside: how often the
batch sampler is called and how many Adam optimizers are built. Each test then
states one fact, in the order in which they explain one another.
"""

import warnings

import pytest
import torch
from torch import nn

from torchlings.checkapi.testing import expect, record_series

STEPS = 120
LR = 2e-2
THRESHOLD = 1e-3
CONCEPT = (
    "Overfitting one batch: draw ONE batch before the loop, build the optimizer once, and "
    "train on that batch every step with predictions and targets of the same shape "
    "(squeeze(-1) the (B, 1) predictions); the loss must fall to almost zero."
)


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


class _Run:
    def __init__(self, exercise):
        self.sampler = _Sampler()
        self.model = _model()
        self.adams_built = 0
        self.adam_lrs = []
        real_adam = torch.optim.Adam
        run = self

        class CountingAdam(real_adam):  # a real Adam that counts how often one is built
            def __init__(self, *args, **kwargs):
                run.adams_built += 1
                super().__init__(*args, **kwargs)
                run.adam_lrs.extend(group["lr"] for group in self.param_groups)

        # torch.optim.Adam, and the name Adam where the module imported it by itself.
        owners = [torch.optim] + ([exercise] if getattr(exercise, "Adam", None) is real_adam
                                  else [])
        for owner in owners:
            owner.Adam = CountingAdam
        initial = [p.detach().clone() for p in self.model.parameters()]
        try:
            # mse_loss warns when it broadcasts; kept, so the story can be told only then.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.losses = exercise.overfit_one_batch(self.model, self.sampler, steps=STEPS,
                                                         lr=LR)
        finally:
            for owner in owners:
                owner.Adam = real_adam
        self.broadcast = any("target size" in str(w.message) for w in caught)
        self.names = [name for name, _ in self.model.named_parameters()]
        self.frozen = [name for (name, p), before in
                       zip(self.model.named_parameters(), initial, strict=True)
                       if torch.equal(p.detach(), before)]
        self.final = None
        if self.sampler.batches:
            obs, targets = self.sampler.batches[-1]
            with torch.no_grad():
                self.final = nn.functional.mse_loss(self.model(obs).squeeze(-1), targets).item()


@pytest.fixture(scope="module")
def run(exercise):
    torch.set_num_threads(1)  # a tiny model: extra threads only add overhead on a busy CPU
    return _Run(exercise)


def test_returns_one_float_per_step(run):
    """overfit_one_batch returns a list of one Python float per step."""
    losses = run.losses
    length = f" of length {len(losses)}" if hasattr(losses, "__len__") else ""
    expect(isinstance(losses, list) and len(losses) == STEPS,
           f"overfit_one_batch should return a list with one loss per step ({STEPS}), got "
           f"{type(losses).__name__}{length}.\n" + CONCEPT)
    expect(all(isinstance(v, float) for v in losses),
           "Return the losses as Python floats (loss.item()), not tensors: a list of loss "
           "tensors keeps every step's graph alive.\n" + CONCEPT)
    record_series("loss", losses)


def test_one_batch_drawn(run):
    """sample_batch() is called once, before the loop: the same batch every step."""
    calls = len(run.sampler.batches)
    expect(calls >= 1, "overfit_one_batch never called sample_batch().\n" + CONCEPT)
    expect(calls == 1,
           f"sample_batch() was called {calls} times, so the model saw a new batch of random "
           "targets at each step and could not memorise any. The sanity test draws ONE batch "
           "before the loop and trains on it every step.\n" + CONCEPT)


def test_one_optimizer_for_the_run(run):
    """The Adam optimizer is built once, before the loop, not again at every step."""
    expect(run.adams_built <= 1,
           f"torch.optim.Adam was built {run.adams_built} times during one run. A new Adam "
           "starts with empty moment estimates and takes Adam's large first step again: "
           "build the optimizer once, before the loop.\n" + CONCEPT)


def test_uses_the_learning_rate_given(run):
    """Adam gets the learning rate overfit_one_batch was called with."""
    wrong = sorted({lr for lr in run.adam_lrs if abs(lr - LR) > 1e-12})
    expect(not wrong,
           f"overfit_one_batch was called with lr={LR:g}, but Adam was built with lr="
           f"{', '.join(f'{lr:g}' for lr in wrong)}. Pass the lr argument on: "
           "torch.optim.Adam(model.parameters(), lr=lr).\n" + CONCEPT)


def test_memorises_one_batch(run):
    """The loss on the one batch falls below 1e-3 within 120 steps."""
    expect(run.final is not None, "overfit_one_batch never called sample_batch().\n" + CONCEPT)
    if run.broadcast:
        story = ("Look at the shapes the loss compares: the model returns (B, 1), the targets "
                 "are (B,), and mse_loss broadcast the two to (B, B). Make them the same shape "
                 "(squeeze(-1) the predictions).")
    elif run.frozen:
        which = ("None of the weights ever changed" if len(run.frozen) == len(run.names)
                 else f"Some weights never changed ({', '.join(run.frozen)})")
        story = (f"{which}: step() found no gradient for them. Look for zero_grad() "
                 "between backward() and step(), a forward pass under torch.no_grad() or "
                 "through .detach(), or parameters missing from the optimizer.")
    else:
        story = ("The shapes match and every weight moves, so look at the update itself: the "
                 "loss minimised (its sign, what it compares), the batch it is computed on, "
                 "and the order zero_grad(), backward(), step().")
    expect(run.final < THRESHOLD,
           f"After {STEPS} steps on one batch, the model's MSE on it is {run.final:.3g}, "
           f"expected below {THRESHOLD:g}. A model this size can memorise 16 examples, so the "
           f"pipeline is broken. {story}\n" + CONCEPT)


def test_records_the_loss_it_trains_on(run):
    """The last recorded loss is the model's real loss on the batch."""
    expect(isinstance(run.losses, list) and run.losses and run.final is not None,
           "No losses to compare.\n" + CONCEPT)
    expect(float(run.losses[-1]) < THRESHOLD,
           f"Your last recorded loss is {float(run.losses[-1]):.3g}, but the model's actual MSE "
           f"on the batch is {run.final:.3g}: record the loss you train on.\n" + CONCEPT)

"""The common culprits: a training script with four classic bugs.

When training "does not work", the cause is rarely exotic. The same few
mistakes account for most of it:

- Target dtype. `cross_entropy` wants class indices as int64 (`torch.long`).
  Labels read from a file or a NumPy array often arrive as floats.
- train() / eval(). Dropout (and batch norm) behave differently while
  training. Evaluating a model still in training mode drops random units and
  reports a noisy, pessimistic score. `model.eval()` switches that off.
- Learning rate too high. The loss jumps around or blows up to NaN instead of
  falling. Try ten times smaller before anything cleverer.
- Silent broadcasting. A (B, 1) tensor meeting a (B,) tensor becomes (B, B)
  without any error, and a loss or a metric quietly averages over nonsense.

The function below trains a small classifier on two blobs of points and
reports its test accuracy. Every one of those four culprits is in it. Run
the check, read what fails, fix one thing at a time. (The evaluation already
runs under `torch.no_grad()`, as it should: scoring needs no graph. Keep it.)

Why RL cares: RL signals are noisy enough that a bug rarely announces itself;
the agent just learns slowly, or not at all. Knowing the usual suspects by
heart is the fastest debugging tool you have.
"""

import torch
from torch import nn


def train_and_evaluate(x_train, labels_train, x_test, labels_test) -> tuple[nn.Module, float]:
    """Train a classifier on (x_train, labels_train); return it and its accuracy on the test set.

    x_* are float32 tensors of shape (N, 2); labels_* have shape (N,) and hold 0.0
    or 1.0 (floats, float32 or float64, as they came out of the data file). The
    accuracy is a Python float in [0, 1]: the fraction of the test points the
    returned model classifies right. The randomness (initial weights, dropout)
    comes from PyTorch's global stream as the caller left it: seeding is the
    caller's job, not this function's.
    """
    # TODO: four culprits hide in this function. Fix each one.
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=50.0)
    model.train()
    for _ in range(200):
        logits = model(x_train)
        loss = nn.functional.cross_entropy(logits, labels_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    with torch.no_grad():
        predictions = model(x_test).argmax(dim=1, keepdim=True)
        accuracy = (predictions == labels_test).float().mean().item()
    return model, accuracy

"""Classification: cross-entropy on logits, with int64 targets, and accuracy.

A classifier outputs one raw score per class, the *logits*, shape (B, C).
`nn.functional.cross_entropy(logits, targets)` (or the module
`nn.CrossEntropyLoss()`) turns them into a loss: it applies log-softmax
internally, in a numerically safe way, and picks out the log-probability of
the right class. Two things follow:

- Pass the raw logits. Applying softmax first means softmax is applied twice;
  the loss still runs, but its gradients shrink and learning crawls.
- The targets are class *indices*, an int64 tensor of shape (B,). Labels
  read from a file often come as floats (0.0, 1.0); cross_entropy then takes
  them for something else (class probabilities) and fails. Convert with
  `.long()`.

Accuracy is the fraction of examples whose highest logit is the right
class: `argmax` over the class dimension, compare with the labels, average.
Fix the loss and write the accuracy; the check then trains the classifier on
two blobs of points and expects at least 95% of new points right.

Why RL cares: a discrete policy is exactly this -- logits over actions. The
behaviour-cloning loss is cross_entropy(policy_logits, expert_actions), and
policy-gradient losses use the same log-softmax of logits.
"""

import torch
from torch import nn


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of `logits` (B, C) against `labels` (B,), labels possibly float."""
    # TODO: two classic mistakes in one line
    return nn.functional.cross_entropy(torch.softmax(logits, dim=-1), labels)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction (a Python float) of rows whose largest logit is at the label's class."""
    # TODO
    raise NotImplementedError("compare the predicted classes with the labels")


def train_classifier(x: torch.Tensor, labels: torch.Tensor, steps: int = 150):
    """Train a small classifier on (x, labels); return it and the loss of each step."""
    model = nn.Sequential(nn.Linear(x.shape[1], 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(steps):
        loss = classification_loss(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses

"""Logging a training run: loss.item() and the global gradient norm.

Two numbers are worth logging on every update: the loss, and the size of the
gradient. Both are easy to log wrongly.

The loss is a tensor that still hangs on to the whole autograd graph that
produced it (every activation of the forward pass). Appending `loss` itself to
a Python list keeps every one of those graphs alive: memory grows with every
step until the run crashes. `loss.item()` gives a plain Python float and lets
the graph go.

The gradient size that matters is the *global* norm: the square root of the
sum of squares of every gradient entry of every parameter, as if all
gradients were one long vector. It is what `clip_grad_norm_` measures and
clips. A parameter the loss never reached (an unused head, say) has `.grad`
None after backward(): it adds nothing to the sum. Adding up the norms of the
separate tensors gives a bigger number that depends on how the network happens
to be split into tensors.

Why RL cares: an RL run is long and noisy, and its logs are how you debug it.
A creeping memory leak from a list of losses kills a run after hours, and a
gradient-norm curve on the wrong scale hides the spikes that explain a
collapse.

Your job: fix the two logging lines in `train_and_log`.
"""

import torch  # noqa: F401 (you may need it)


def train_and_log(model, optimizer, batches, loss_fn) -> tuple[list[float], list[float]]:
    """One update per (inputs, targets) batch.

    Returns (losses, grad_norms): for each update, the loss (before the update)
    and the global gradient norm that step() applied, both as Python floats.
    """
    losses, grad_norms = [], []
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        # TODO: this is not the global norm.
        grad_norms.append(sum(float(p.grad.norm()) for p in model.parameters()))
        optimizer.step()
        # TODO: this keeps every step's autograd graph alive.
        losses.append(loss)
    return losses, grad_norms

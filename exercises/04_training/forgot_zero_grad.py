"""Debugging a loop that forgot zero_grad.

`loss.backward()` does not *replace* the gradient stored in each parameter's
`.grad`; it *adds* to it. That is deliberate (it lets you sum gradients from
several losses or several micro-batches), but it means a training loop has to
clear `.grad` itself, once per update, before the backward pass.

The loop below has no `zero_grad`. It runs, the loss may even go down for a
while, and nothing raises an error. Work out what the optimizer is actually
applying on the third batch, then answer the question and fix the loop.

Why RL cares: an agent trains on a stream of fresh batches from its replay
buffer or its latest rollouts. With gradients piling up, every update is
dragged by all the batches before it, and the effective step size grows with
time: training that looks fine early and diverges later.
"""

# What goes wrong in `train` as shipped? Set ANSWER to one of the keys:
#   "a": nothing: backward() overwrites .grad, so each step uses only its own batch
#   "b": each step applies the sum of the gradients of this batch and all earlier ones
#   "c": the optimizer raises an error on the second step because .grad is already set
#   "d": the gradients are averaged over all batches, so learning just gets slower
ANSWER = None  # TODO: "a", "b", "c" or "d"


def train(model, optimizer, batches, loss_fn) -> list[float]:
    """One update per (inputs, targets) batch in `batches`; return the loss of each.

    `batches` is any iterable of batches (a list, a DataLoader, a generator): loop
    over it, do not index it. Each loss is a Python float, taken before its update.
    """
    losses = []
    for inputs, targets in batches:
        # TODO: something is missing in this loop. Add it in the right place.
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

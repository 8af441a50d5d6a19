"""The order of a training step.

Every update of a network in PyTorch is the same five moves:

    optimizer.zero_grad()            # forget the gradients of the last step
    prediction = model(inputs)       # forward
    loss = loss_fn(prediction, y)    # one number that says how wrong we are
    loss.backward()                  # fill every parameter's .grad
    optimizer.step()                 # move each parameter against its .grad

The order is the whole point. `backward()` *adds* into `.grad`, so the old
gradients must be cleared before it, not after. `step()` reads `.grad`, so it
must come after `backward()`; before it, it applies last step's gradients (or
none at all). PyTorch raises no error for either mistake: the network just
learns the wrong thing, or nothing.

Why RL cares: a DQN or PPO agent runs this step thousands of times, with a
new batch of transitions each time. A misordered step quietly mixes batches
or updates with stale gradients, and the only symptom is an agent that does
not improve.

Your job: `train_step` has the right lines in the wrong order. Put them in
order. The model may arrive with gradients left over from earlier work, so
clearing them is part of the step: clearing only after `step()` (as nanoGPT
and the Hugging Face examples do) would let those leftovers into this update.
"""


def train_step(model, optimizer, batch, loss_fn) -> float:
    """Do one update of `model` on `batch` = (inputs, targets); return the loss as a float.

    The returned loss is the one computed before the update. `loss_fn(prediction,
    targets)` may be any PyTorch loss (prediction first: most are not symmetric),
    and the model may be float32 or float64: use the batch as it comes.
    """
    inputs, targets = batch
    # TODO: these five moves are all here, in the wrong order. Reorder them.
    optimizer.step()
    prediction = model(inputs)
    loss = loss_fn(prediction, targets)
    loss.backward()
    optimizer.zero_grad()
    return loss.item()

"""Gradient accumulation: a big batch in small pieces.

Sometimes a batch does not fit in memory. Gradient accumulation splits it into
k micro-batches, runs forward and backward on each, and calls `step()` once at
the end. It works because `backward()` *adds* into `.grad`: after k backward
passes, `.grad` holds the sum of the k micro-batch gradients.

The trap is the word "sum". A loss like MSE or cross-entropy is a *mean* over
its batch. The mean over the full batch equals the mean of the k micro-batch
means (for equal-sized pieces), so each micro-batch loss must be divided by k
before `backward()`. Forget it and the gradient is k times too large. And the
gradients must be cleared once per update, not once per micro-batch, or all
but the last piece are thrown away.

Why RL cares: PPO commonly takes a rollout of thousands of transitions and
updates on minibatches; large-batch value learning and big policy networks on
one GPU use accumulation to reach the batch size a paper used. Done right, the
update is identical to one full-batch step.

Your job: fix `accumulate_step` so that its single update equals one step on
the whole batch. The batch size is a multiple of k. It is called once per
update, again and again; the model first arrives with no gradients (.grad is
None). Clearing once per update either before the first micro-batch or right
after `step()` (as nanoGPT and the Hugging Face examples do) is fine: both
leave the next call clean.
"""


def accumulate_step(model, optimizer, batch, loss_fn, k: int) -> float:
    """Update `model` once on `batch` = (inputs, targets), in k equal micro-batches.

    Returns the loss of the full batch (as a float), before the update. `loss_fn`
    is a mean over its batch (MSE, cross-entropy, ...); `targets` may be (B, out)
    values or (B,) class labels, and the model float32 or float64.
    """
    inputs, targets = batch
    full_loss = 0.0
    for micro_inputs, micro_targets in zip(inputs.chunk(k), targets.chunk(k), strict=True):
        # TODO: two things are wrong in this loop body: where the gradients
        # are cleared, and how much each micro-batch loss counts.
        optimizer.zero_grad()
        loss = loss_fn(model(micro_inputs), micro_targets)
        loss.backward()
        full_loss += loss.item()
    optimizer.step()
    return full_loss

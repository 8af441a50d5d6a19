"""Gradients add up in .grad.

`backward()` does not overwrite a leaf's `.grad`: it adds to it. After one
backward, w.grad holds g1. A second backward, through a new graph, leaves
g1 + g2 there. Run backward twice on the same kind of loss and the gradient
simply doubles.

That is deliberate: it lets you split a big batch into pieces and add up
their gradients. In an ordinary training loop it is a bug, because every
update would then follow the sum of all gradients since the start. So every
loop clears the gradients before the next backward. `optimizer.zero_grad()`
does it for a whole network; for one tensor it is `w.grad = None` (or
`w.grad.zero_()`, which keeps the tensor and fills it with zeros).

Why RL cares: an agent updates its network thousands of times. Forget to
clear and update k pushes along the sum of k gradients, the steps grow, and
the value estimates blow up. It looks like "RL is unstable", but it is one
missing line.

Your job: make `per_batch_gradients` return each batch's gradient on its own,
then answer the question at the bottom.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def per_batch_gradients(
    w: torch.Tensor, batches: list[tuple[torch.Tensor, torch.Tensor]]
) -> list[torch.Tensor]:
    """Return, for each (obs, returns) batch, the gradient of that batch's loss alone.

    The value estimate is V(s) = obs @ w (obs is (B, D), w is (D,)) and a batch's
    loss is the mean squared error ((obs @ w - returns) ** 2).mean().
    """
    w = w.detach().clone().requires_grad_()
    grads = []
    for obs, returns in batches:
        # TODO: w.grad still holds what earlier batches put there; clear it.
        loss = ((obs @ w - returns) ** 2).mean()
        loss.backward()
        grads.append(w.grad.clone())
    return grads


# You split a batch of 64 transitions into two halves of 32. For each half you
# compute the mean loss over its 32 transitions and call backward, without
# clearing in between. Compared with one backward on the mean loss over all 64,
# what does w.grad hold afterwards?
#   "a": the same gradient
#   "b": twice that gradient
#   "c": half that gradient
ANSWER = None  # TODO: one of "a", "b", "c"

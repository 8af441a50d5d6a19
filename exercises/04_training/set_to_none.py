"""zero_grad(set_to_none=True): None is not the same as zero.

There are two ways to "clear" a gradient. `optimizer.zero_grad(set_to_none=False)`
fills every `.grad` with zeros. `optimizer.zero_grad()` (set_to_none=True, the
default since PyTorch 2.0) sets every `.grad` to None, which is cheaper and
means something different: "this parameter got no gradient at all".

Optimizers skip parameters whose `.grad` is None. A parameter with a zero
gradient is *not* skipped: Adam still applies its momentum from earlier steps
(and weight decay still shrinks it), so it keeps moving although this batch
says nothing about it.

Why RL cares: actor-critic agents often keep one optimizer for a shared model
with a policy head and a value head, and sometimes update only the value head
(say, extra critic steps). With zeroed gradients, Adam's momentum keeps pushing
the policy head on every critic step. With None, the policy head is left alone.

Your job: `critic_step` trains only the value head. Make sure the policy
head's parameters are truly untouched by it. It is called between full
actor-critic updates that clear their gradients *before* backward, so the
model arrives with the last update's gradients still in `.grad`, policy head
included. Clearing only *after* `step()` (the nanoGPT and Hugging Face habit)
is right only when every update in a program does it; here it lets `step()`
apply those leftovers, so clear at the start of the step.
"""

import torch.nn.functional as F


def critic_step(model, optimizer, obs, returns) -> float:
    """One update of the value head only: MSE between model.value(obs) and `returns`.

    `model` has a `.value(obs)` method returning a (B,) tensor (and a policy head
    that this step must not move); `optimizer` holds all of model's parameters.
    Returns the loss as a float.
    """
    # TODO: this clears the gradients in a way Adam does not skip.
    optimizer.zero_grad(set_to_none=False)
    loss = F.mse_loss(model.value(obs), returns)
    loss.backward()
    optimizer.step()
    return loss.item()

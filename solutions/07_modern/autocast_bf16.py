"""Mixed precision on the CPU: torch.autocast with bfloat16.

bfloat16 (bf16) is a 16-bit float with float32's range but only 8 significant
bits, two to three decimal digits. Matrix multiplies in bf16 move half the bytes
and, on hardware that has bf16 units, run much faster. Mixed precision keeps
the speed and avoids most of the damage: the heavy ops run in bf16, the rest
stays float32.

`with torch.autocast(device_type="cpu", dtype=torch.bfloat16):` does the
choosing for you, op by op, inside the block. Linear layers and matmuls run
in bf16, so a network's output comes out bf16. Ops that need precision
(`F.cross_entropy`, `F.mse_loss`, ...) are run in float32. But on the CPU
many ops are neither, and simply keep whatever dtype comes in: `softmax`,
`log_softmax` and `sum` on bf16 logits stay bf16, with all its rounding.
Outside the block nothing changes.

What must stay float32, and why:

- The parameters. Autocast casts copies of the weights for each bf16 op; the
  weights themselves, their gradients and the optimizer's state stay float32.
  Casting the model (`model.to(torch.bfloat16)`) is something else: every
  update is then rounded to bf16, and small updates vanish.
- The loss. A loss averages many small terms, and its gradient is made of the
  small differences between them; in bf16 those round away. Cast the logits
  up (`logits.float()`) and compute the loss in float32, outside the block.
- The backward pass and the optimizer step run outside the block. Autocast
  records its casts in the graph during the forward, so backward already
  follows them; wrapping backward or step in autocast is not supported.

Why RL cares: an agent runs its networks millions of times while it collects
experience, and bf16 forward passes make that cheaper. This exercise trains a
small policy by behaviour cloning: predict the expert's action from the
observation with a cross-entropy loss.

Your job: the forward pass under autocast, the float32 loss, and a training
step that keeps backward and step outside autocast. Then answer the question.
"""

import torch
import torch.nn.functional as F
from torch import nn

# Why is the loss computed in float32 from logits.float()?
#   "a": autocast cannot run loss functions at all
#   "b": bf16 keeps two to three significant digits: the log-softmax and the mean
#        over the batch would round away the small differences the gradient is made of
#   "c": the optimizer can only update float32 weights from a float32 loss
ANSWER = "b"


def policy_logits(model: nn.Module, obs: torch.Tensor) -> torch.Tensor:
    """The (B, n_actions) logits of model on obs, computed under bf16 autocast; returns bf16 logits."""
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        return model(obs)


def cloning_loss(logits: torch.Tensor, expert_actions: torch.Tensor) -> torch.Tensor:
    """Cross-entropy between the logits and the expert's actions, in float32."""
    return F.cross_entropy(logits.float(), expert_actions)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    obs: torch.Tensor,
    expert_actions: torch.Tensor,
) -> float:
    """One step of behaviour cloning in mixed precision; returns the loss as a float."""
    logits = policy_logits(model, obs)
    loss = cloning_loss(logits, expert_actions)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()

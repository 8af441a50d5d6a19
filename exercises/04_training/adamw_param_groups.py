"""AdamW and parameter groups.

Weight decay pulls weights towards zero a little on every step, which keeps a
network from leaning on a few huge weights. There are two ways to do it, and
with Adam they are not the same:

- L2 penalty (`torch.optim.Adam(..., weight_decay=wd)`): adds `wd * w` to the
  gradient. Adam then divides every gradient by its running size, so the
  penalty is rescaled too, and weights with large gradients barely decay.
- Decoupled decay (`torch.optim.AdamW`): shrinks each weight directly,
  `w <- w * (1 - lr * wd)`, separately from the gradient step. A weight whose
  gradient is zero shrinks by exactly that factor.

Not every parameter should decay. Biases and the scale/shift of LayerNorm only
shift or rescale activations; pulling them to zero just fights the network. A
common rule: decay the weight matrices (2 or more dims), not the 1-D ones
(nanoGPT's `p.dim() >= 2`). The Hugging Face examples pick no-decay parameters
by name ("bias", "LayerNorm.weight") instead, which misses a norm layer stored
under another name, as in the model the check uses: decide by shape.

An optimizer takes *parameter groups*: a list of dicts, each with its own
"params" and its own settings ("lr", "weight_decay"). That is how one
optimizer gives the pretrained trunk a smaller learning rate than the new
head, and turns decay off for biases and norms.

Why RL cares: value and policy networks are trained for millions of steps with
AdamW; decaying LayerNorm gains or using L2 with Adam are classic causes of
slowly degrading agents, and fine-tuning a pretrained encoder with a smaller
learning rate than the fresh head is routine.

Your job: `make_optimizer` must return AdamW with four groups: trunk weights,
trunk biases/norms, head weights, head biases/norms.
"""

import torch


def split_decay(module: torch.nn.Module) -> tuple[list, list]:
    """Split module's parameters into (decay, no_decay).

    decay: weight matrices (2 or more dims); no_decay: all the others, biases and norm
    weights (1-D) and any learnable scalar (0-D). Each parameter once.
    """
    decay, no_decay = [], []
    for p in module.parameters():
        # TODO: biases and LayerNorm parameters must not be decayed.
        decay.append(p)
    return decay, no_decay


def make_optimizer(model, trunk_lr: float, head_lr: float, weight_decay: float):
    """Return an optimizer for `model` (which has `.trunk` and `.head` submodules).

    trunk parameters use `trunk_lr`, head parameters `head_lr`; weight decay is
    decoupled (AdamW) and applied to weight matrices only. The groups may come in
    any order, their "params" as lists or tuples: what is judged is the settings
    of the group that holds each parameter.
    """
    # TODO: decoupled decay, and one group per (part, decay or not) with its own
    # "lr" and "weight_decay".
    return torch.optim.Adam(model.parameters(), lr=trunk_lr, weight_decay=weight_decay)

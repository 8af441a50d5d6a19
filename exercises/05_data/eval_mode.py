"""Evaluation: model.eval(), and no gradients.

Some layers behave differently while training. Dropout zeroes a random half
(say) of its inputs and scales the rest up; batch norm normalises with the
statistics of the current batch and updates its running averages. That is
what you want during training and exactly what you do not want when you
measure how good the model is: a score from a model in training mode is
random, and merely evaluating it changes its batch-norm statistics.

Two separate switches exist, and evaluation wants both:

- `model.eval()` puts dropout, batch norm and friends in evaluation
  behaviour; `model.train()` switches them back. It does not touch autograd.
- `torch.no_grad()` (or the stricter, slightly faster `torch.inference_mode()`)
  stops autograd from recording a graph. It does not touch dropout.

`model.training` tells you which mode a model is in, and every submodule has
a flag of its own, so a model can be in mixed modes: a frozen, pretrained
encoder kept in eval mode inside a model that trains (its batch norm must
not update), or dropout left on at test time on purpose. `model.eval()` and
`model.train(mode)` set every flag, all the way down. Evaluation code should
leave every module in the mode it found it in, so training carries on with
its dropout intact and a frozen part stays frozen: `model.train(was_training)`
alone would put the frozen encoder in training mode too.

Why RL cares: agents alternate training updates with evaluation episodes.
Evaluating with dropout on makes the learning curve noisy and pessimistic;
forgetting to switch back trains the rest of the run without dropout.
"""

import torch
from torch import nn


def evaluate(model: nn.Module, obs: torch.Tensor) -> torch.Tensor:
    """The model's outputs on `obs` for evaluation.

    The forward pass runs with every module in eval mode (dropout, batch norm
    and any other layer that reads `self.training`) and records no autograd
    graph; afterwards every module (the model itself and each submodule) is
    back in the mode, training or not, it was in before the call.
    """
    # TODO: this evaluates in whatever mode the model is in, and records a graph
    return model(obs)


# What does model.eval() do?
#   "a": it switches layers such as dropout and batch norm to their evaluation behaviour;
#        autograd still records a graph unless you also use no_grad / inference_mode
#   "b": it turns off gradient tracking, like torch.no_grad()
#   "c": both: evaluation behaviour for dropout and batch norm, and no gradient tracking
ANSWER = None  # TODO: "a", "b" or "c"

"""Finding NaN and Inf.

One bad number poisons training. A log of zero, a division by a tiny standard
deviation or an exploding gradient produces an Inf or a NaN ("not a number");
the optimizer copies it into the weights, and from then on every output is
NaN. The loss curve just stops being drawn.

`torch.isfinite(t)` is True where an element is an ordinary number and False
for NaN, +Inf and -Inf alike. (`torch.isnan` alone misses the infinities, and
`t == float("nan")` is never true: NaN is not equal even to itself.) Checking
every parameter's `.grad` after `backward()` tells you which layer broke.
Parameters that took no part in the loss have `.grad` None: skip them.

When you know a NaN appears but not where, PyTorch has a slower debugging
mode: `with torch.autograd.detect_anomaly(): loss.backward()`.

Why RL cares: RL losses divide by standard deviations of advantages, take
logs of probabilities and bootstrap from their own outputs; NaNs are common,
and a guard that skips a bad update (and tells you which layer) saves a run.
"""

import torch
from torch import nn


def nonfinite_grads(model: nn.Module) -> list[str]:
    """Names (as in named_parameters) of parameters whose .grad holds a NaN or an Inf.

    It only reports: every .grad is left exactly as it was (the caller decides what to do).
    """
    bad = []
    for name, parameter in model.named_parameters():
        # TODO: this misses some non-finite values, and crashes on parameters
        # that have no gradient at all.
        if torch.isnan(parameter.grad).any():
            bad.append(name)
    return bad


# What does `with torch.autograd.detect_anomaly(): loss.backward()` do?
#   "a": backward() raises an error at the first operation whose gradient comes out NaN,
#        and shows the line of your forward pass that created that operation
#   "b": it replaces NaN gradients with zeros so that training can go on
#   "c": it checks the loss for NaN before backward() starts, at no extra cost
ANSWER = None  # TODO: "a", "b" or "c"

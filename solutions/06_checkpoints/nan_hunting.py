"""Finding NaN and Inf: reference solution."""

import torch
from torch import nn


def nonfinite_grads(model: nn.Module) -> list[str]:
    bad = []
    for name, parameter in model.named_parameters():
        if parameter.grad is None:
            continue
        if not torch.isfinite(parameter.grad).all():
            bad.append(name)
    return bad


ANSWER = "a"

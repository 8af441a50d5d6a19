"""Evaluation: reference solution."""

import torch
from torch import nn


def evaluate(model: nn.Module, obs: torch.Tensor) -> torch.Tensor:
    # model.train(mode) would set every submodule to one mode; a frozen part keeps its own.
    modes = {module: module.training for module in model.modules()}
    model.eval()
    with torch.no_grad():
        outputs = model(obs)
    for module, mode in modes.items():
        module.training = mode
    return outputs


ANSWER = "a"

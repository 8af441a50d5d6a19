"""Evaluation: reference solution."""

import torch
from torch import nn


def evaluate(model: nn.Module, obs: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        outputs = model(obs)
    model.train(was_training)
    return outputs


ANSWER = "a"

"""Saving weights, and loading files you did not write: reference solution."""

import torch
from torch import nn


def save_weights(model: nn.Module, path) -> None:
    torch.save(model.state_dict(), path)


def load_weights(model: nn.Module, path) -> None:
    state_dict = torch.load(path, weights_only=True)
    model.load_state_dict(state_dict)

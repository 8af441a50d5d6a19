"""Target networks: reference solution."""

import copy

import torch
from torch import nn


def make_target(online: nn.Module) -> nn.Module:
    target = copy.deepcopy(online)
    target.requires_grad_(False)
    return target


def hard_update(target: nn.Module, online: nn.Module) -> None:
    target.load_state_dict(online.state_dict())


def soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    with torch.no_grad():
        for target_p, online_p in zip(target.parameters(), online.parameters(), strict=True):
            target_p.mul_(1.0 - tau).add_(tau * online_p)

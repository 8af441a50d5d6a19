"""AdamW and parameter groups: reference solution."""

import torch


def split_decay(module: torch.nn.Module) -> tuple[list, list]:
    decay, no_decay = [], []
    for p in module.parameters():
        if p.ndim >= 2:
            decay.append(p)
        else:
            no_decay.append(p)
    return decay, no_decay


def make_optimizer(model, trunk_lr: float, head_lr: float, weight_decay: float):
    trunk_decay, trunk_plain = split_decay(model.trunk)
    head_decay, head_plain = split_decay(model.head)
    groups = [
        {"params": trunk_decay, "lr": trunk_lr, "weight_decay": weight_decay},
        {"params": trunk_plain, "lr": trunk_lr, "weight_decay": 0.0},
        {"params": head_decay, "lr": head_lr, "weight_decay": weight_decay},
        {"params": head_plain, "lr": head_lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups)

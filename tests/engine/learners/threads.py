"""Uses torch's intra-op thread pool in the forked child: must not deadlock."""

import torch


def answer():
    torch.set_num_threads(2)
    a = torch.randn(256, 256)
    total = (a @ a.T).trace() + torch.ones(2_000_000).sum()
    return 42 if total.item() > 0 else 0

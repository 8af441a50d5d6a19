"""An accidental huge tensor: 64 GiB of float32."""

import torch


def answer():
    return torch.ones(16 * 1024**3).sum()

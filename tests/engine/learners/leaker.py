"""Changes torch's global switches and leaves them changed."""

import torch


def answer():
    torch.set_default_dtype(torch.float64)
    torch.set_grad_enabled(False)
    torch.manual_seed(1234)
    torch.rand(5)
    return 42

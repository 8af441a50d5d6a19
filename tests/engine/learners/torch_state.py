"""Answers 42 only when torch's global state is the reset one."""

import torch


def answer():
    expected = torch.rand(3, generator=torch.Generator().manual_seed(0))
    state = {
        "dtype": torch.get_default_dtype(),
        "grad": torch.is_grad_enabled(),
        "seeded": torch.equal(torch.rand(3), expected),
        "device": torch.empty(1).device.type,
    }
    good = {"dtype": torch.float32, "grad": True, "seeded": True, "device": "cpu"}
    return 42 if state == good else state

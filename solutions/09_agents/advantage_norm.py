"""Advantage normalisation, one minibatch at a time: reference solution."""

import torch


def normalize_advantages(advantages: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    if advantages.numel() < 2:
        raise ValueError(
            f"a minibatch of {advantages.numel()} advantage(s) has no spread to normalise by: "
            "use minibatches of at least 2 samples"
        )
    return (advantages - advantages.mean()) / (advantages.std() + eps)


ONE_SAMPLE = "nan"

"""Explained variance: reference solution."""

import torch


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    var_returns = returns.var(correction=0)
    if var_returns == 0:
        return float("nan")
    return (1.0 - (returns - values).var(correction=0) / var_returns).item()

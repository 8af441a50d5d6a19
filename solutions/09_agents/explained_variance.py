"""Explained variance: reference solution."""

import torch


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    var_returns = returns.var(correction=0)
    # Equal returns: Var is 0 in exact arithmetic, but the computed one is often a
    # rounding error (seven float32 0.1s give 5.6e-17), so ask about equality itself.
    if bool((returns == returns.flatten()[0]).all()):
        return float("nan")
    return (1.0 - (returns - values).var(correction=0) / var_returns).item()

"""The same network, in NumPy.

A trained network is nothing but arrays and a recipe. Take
`nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden,
n_actions))`: its `state_dict()` holds four arrays, "0.weight", "0.bias",
"2.weight" and "2.bias" (the numbers are the positions in the Sequential; the
ReLU at position 1 has no weights). Replaying the recipe in NumPy must give
the same outputs as the module.

The one thing to know is the layout. `nn.Linear(in_features, out_features)`
stores its weight as (out_features, in_features), one row per output, and
computes  y = x @ weight.T + bias  for a batch x of shape (B, in_features).
Forget the transpose and you get a shape error when the layer is not square,
and, worse, silently wrong numbers when it is (a 64 -> 64 hidden layer).

Why RL cares: policies get exported: to a robot's controller, to a game
engine, to a NumPy-only evaluation script, to another framework. A
hand-written forward pass that matches the module to the last decimal is how
you know the export is right.

Write `linear` so that `numpy_forward` matches the PyTorch network, for a
batch of observations (B, obs_dim) and for a single observation (obs_dim,).
The result keeps the arrays' dtype: float32 arrays give float32, float64
arrays give float64 (a forward pass that rounds down loses the decimals you
export to keep).
"""

import numpy as np
from torch import nn


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """nn.Linear in NumPy. `weight` has PyTorch's layout (out_features, in_features)."""
    # TODO: one line, for x of shape (B, in_features) or (in_features,)
    raise NotImplementedError("write the NumPy version of nn.Linear")


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def to_numpy(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's state_dict as NumPy arrays, same keys."""
    return {name: t.detach().cpu().numpy() for name, t in module.state_dict().items()}


def numpy_forward(params: dict[str, np.ndarray], obs: np.ndarray) -> np.ndarray:
    """Linear -> ReLU -> Linear, from the arrays of an nn.Sequential's state_dict."""
    hidden = relu(linear(obs, params["0.weight"], params["0.bias"]))
    return linear(hidden, params["2.weight"], params["2.bias"])

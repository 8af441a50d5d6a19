"""Dataset and DataLoader.

A `torch.utils.data.Dataset` is any object with two methods: `__len__`, how
many examples there are, and `__getitem__(i)`, example number i. A
`DataLoader` wraps a dataset and hands out minibatches: it picks indices
(in a new random order each epoch when `shuffle=True`), calls
`__getitem__` for each, and stacks the results along a new first dimension
("collates" them), so B examples of shape (obs_dim,) become one (B, obs_dim)
batch.

Return tensors from `__getitem__`, with the dtypes the model expects: float32
observations (NumPy's default float64 will not multiply with float32 weights)
and int64 actions. And mind the last batch: 50 examples in batches of 16 make
three full batches and one of 2. `drop_last=True` throws those 2 away every
epoch -- a choice, not a default you want by accident.

Why RL cares: offline RL and behaviour cloning train on logged transitions
exactly like this, and a policy trained on data that silently skips or
repeats examples learns a skewed picture of the world.
"""

import numpy as np
import torch  # noqa: F401 (the exercise is to use it)
from torch.utils.data import DataLoader, Dataset


class TransitionDataset(Dataset):
    """Logged (observation, action) pairs, stored as NumPy arrays.

    obs: float64 array of shape (N, obs_dim); actions: integer array of shape (N,).
    Example i is the pair (obs[i] as a float32 tensor of shape (obs_dim,),
    actions[i] as a 0-dim int64 tensor).
    """

    def __init__(self, obs: np.ndarray, actions: np.ndarray) -> None:
        self.obs = obs
        self.actions = actions

    def __len__(self) -> int:
        # TODO: how many examples are there?
        raise NotImplementedError("return the number of examples")

    def __getitem__(self, index: int):
        # TODO: the model wants tensors, not NumPy values
        return self.obs[index], self.actions[index]


def make_loader(dataset: Dataset, batch_size: int) -> DataLoader:
    """Minibatches of `batch_size` in a new random order each epoch, using every example."""
    # TODO: check each option against the docstring
    return DataLoader(dataset, batch_size=batch_size, drop_last=True)

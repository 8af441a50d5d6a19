"""Dataset and DataLoader: reference solution."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class TransitionDataset(Dataset):
    def __init__(self, obs: np.ndarray, actions: np.ndarray) -> None:
        self.obs = obs
        self.actions = actions

    def __len__(self) -> int:
        return len(self.obs)

    def __getitem__(self, index: int):
        obs = torch.tensor(self.obs[index], dtype=torch.float32)
        action = torch.tensor(self.actions[index], dtype=torch.int64)
        return obs, action


def make_loader(dataset: Dataset, batch_size: int) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=True)

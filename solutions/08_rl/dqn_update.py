"""One DQN update step: reference solution."""

import torch
import torch.nn.functional as F
from torch import nn


def dqn_update(
    online: nn.Module,
    target: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, ...],
    gamma: float,
) -> float:
    obs, actions, rewards, next_obs, dones = batch
    q_values = online(obs)
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        next_q = target(next_obs).max(dim=1).values
        targets = rewards + gamma * (1.0 - dones) * next_q
    loss = F.mse_loss(q_taken, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()

"""The dueling head: Q = V + A - mean(A).

A dueling Q-network splits Q(s, a) into two parts: V(s), how good the state
is whatever you do, and A(s, a), the *advantage* of each action over the
others. Many states are simply good or bad regardless of the action; the
value stream can learn that once instead of once per action.

Adding them up, Q = V + A, has a catch: the split is not unique. Add 10 to V
and subtract 10 from every A and you get the same Q, so the network can drift
between such splits and the two streams stop meaning anything. The fix is to
centre the advantages over the actions:

    Q(s, a) = V(s) + A(s, a) - mean over actions a' of A(s, a')

Now the advantages of each state average to zero, and V(s) is the average of
Q(s, .) over the actions.

Shapes: for a batch of B observations, `value` is (B, 1) and `advantages` is
(B, n_actions). The mean is over the actions, the last dimension, one mean
per observation. A mean over dim 0 (across the batch) runs without an error
and mixes different states; `keepdim=True` keeps the (B, 1) shape so the mean
lines up with each row.

Why RL cares: dueling DQN (and its many descendants such as Rainbow) uses
exactly this head; the network around it is an ordinary Q-network.

Write `dueling_q`. `DuelingQNetwork` is complete and uses it.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch
from torch import nn


def dueling_q(value: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    """Combine value (B, 1) and advantages (B, n_actions) into Q-values (B, n_actions)."""
    # TODO: one line: V plus the advantages centred over the actions
    raise NotImplementedError("combine value and advantages into Q-values")


class DuelingQNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU())
        self.value_head = nn.Linear(hidden, 1)
        self.advantage_head = nn.Linear(hidden, n_actions)

    def streams(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The value (B, 1) and the advantages (B, n_actions) of a batch of observations."""
        features = self.trunk(obs)
        return self.value_head(features), self.advantage_head(features)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return dueling_q(*self.streams(obs))

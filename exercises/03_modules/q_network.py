"""A Q-network: one Q-value per action.

In DQN the network answers one question for every action at once: "if I take
this action now and act well afterwards, how much reward will I collect?"
That number is the action's Q-value. So for a batch of B observations, each a
vector of obs_dim numbers, the network returns a (B, n_actions) tensor: row i
holds the Q-values of every action in observation i. The agent acts by
picking the action with the largest Q-value in its row.

Q-values are expected sums of rewards. They can be 250 or -40; they do not
add up to anything in particular. So the output layer is a plain Linear
layer with n_actions outputs, and nothing is applied after it.

Two classic mistakes: an output layer with a single unit (that is a value
network, V(s): one number per state, not one per action), and a softmax at
the end, copied from a classifier or a policy network. A softmax squeezes
every Q-value into [0, 1] and forces each row to sum to 1, so the network
can no longer say that one action is worth 250 and another -40.

`QNetwork` below has both mistakes. Fix them. The hidden layers may stay as
they are; the checks look only at what goes in and what comes out.
"""

import torch
from torch import nn


class QNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),  # TODO: how many numbers per observation?
        )

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        # TODO: Q-values are sums of rewards. Should anything squash them?
        return torch.softmax(self.net(obs), dim=-1)

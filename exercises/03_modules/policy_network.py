"""A policy network: logits and action probabilities.

A policy for a discrete action space says how likely each action is in each
observation. The network does not output probabilities directly; it outputs
*logits*, one unbounded score per action, shape (B, n_actions) for a batch of
B observations. A softmax turns a row of scores into probabilities:
exp(score) / sum of exp(scores) over the actions, so each row is positive and
sums to 1.

`torch.softmax(x, dim=d)` normalises along dimension d. For logits of shape
(B, n_actions), the actions are the last dimension. Normalise along dim 0
instead and each *action column* sums to 1 over the batch: observation 3's
probabilities now depend on which other observations happen to share its
batch, and a batch of one gives every action probability 1. Nothing crashes;
the agent just learns nonsense.

Why RL cares: policy-gradient methods (REINFORCE, A2C, PPO) sample actions
from these probabilities and push the log-probability of good actions up.
Keep `forward` returning raw logits (the loss functions want those, for
numerical stability); produce probabilities only in `action_probs`.

`action_probs` must work for a batch (B, obs_dim) and for a single
observation (obs_dim,), and keep the result attached to the autograd graph.
"""

import torch
from torch import nn


class PolicyNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.Tanh(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Raw logits, one per action."""
        return self.net(obs)

    def action_probs(self, obs: torch.Tensor) -> torch.Tensor:
        """Probabilities of each action; every row sums to 1."""
        logits = self(obs)
        # TODO: which dimension holds the actions, for a batch and for a single observation?
        return torch.softmax(logits, dim=0)

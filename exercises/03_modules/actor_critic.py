"""Actor-critic: a shared trunk with two heads.

Actor-critic methods (A2C, PPO) learn two things about each observation: the
*actor* (policy) gives logits over the actions, and the *critic* gives the
state value V(s), one number saying how good the situation is. The usual
network computes features once with a shared *trunk* and puts two small
*heads* on top: a Linear layer to n_actions logits and a Linear layer to one
value.

Sharing is the point. The critic's loss and the actor's loss both send
gradients back into the trunk, so features that help predict value also help
choose actions, and the whole thing costs one forward pass. If the value head
reads the raw observation, or a trunk of its own, you have two separate
networks wearing one class name: the critic's learning never reaches the
actor. (CleanRL's PPO for CartPole and SB3's default MlpPolicy do use two
separate networks, a legitimate design; this exercise asks for the shared
trunk, as CleanRL's Atari PPO has it.)

`forward(obs)` takes a batch (B, obs_dim) and returns `(logits, value)` with
logits of shape (B, n_actions) and value of shape (B,): one number per
observation, without a trailing dimension of 1 (a (B, 1) value that later
meets (B,) returns broadcasts to (B, B) and silently ruins the loss). Both
come out in the network's own dtype (after `.to(torch.float64)` they are
float64), for any batch size including one.

The value head below does not share the trunk. Fix it.
"""

import torch
from torch import nn


class ActorCritic(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
        )
        self.policy_head = nn.Linear(hidden, n_actions)
        self.value_head = nn.Linear(obs_dim, 1)  # TODO: what should the critic look at?

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(obs)
        logits = self.policy_head(features)
        # TODO: the value must be computed from the same features as the logits
        value = self.value_head(obs).squeeze(-1)
        return logits, value

"""Layer initialisation the way PPO implementations do it. Solution."""

import math

import torch
from torch import nn

HIDDEN_GAIN = math.sqrt(2)
POLICY_GAIN = 0.01
VALUE_GAIN = 1.0


class ActorCritic(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
        )
        self.policy_head = nn.Linear(hidden, n_actions)
        self.value_head = nn.Linear(hidden, 1)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.trunk(obs)
        return self.policy_head(features), self.value_head(features).squeeze(-1)


def init_layer(layer: nn.Linear, gain: float) -> nn.Linear:
    """Orthogonal weight scaled by `gain`, zero bias, in place. Returns the same layer."""
    nn.init.orthogonal_(layer.weight, gain=gain)
    nn.init.zeros_(layer.bias)
    return layer


def init_actor_critic(model: ActorCritic) -> ActorCritic:
    """Initialise every Linear layer of `model` in place. Returns the same model."""
    for layer in model.trunk:
        if isinstance(layer, nn.Linear):
            init_layer(layer, HIDDEN_GAIN)
    init_layer(model.policy_head, POLICY_GAIN)
    init_layer(model.value_head, VALUE_GAIN)
    return model

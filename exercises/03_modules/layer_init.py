"""Initialising an actor-critic the way PPO does.

PyTorch gives every nn.Linear a default initialisation, and for supervised
learning it is fine. Most PPO implementations replace it with three habits
that measurably help on-policy RL:

- Orthogonal weights. `nn.init.orthogonal_(weight, gain=g)` makes the rows
  (or the columns, for a tall matrix) of the weight orthonormal, then scales
  them by g. An orthogonal layer keeps the length of what passes through it,
  so signals neither blow up nor fade through the trunk. Hidden layers use
  g = sqrt(2).
- A tiny gain, 0.01, for the policy head. Its logits then start near zero for
  every observation, so the first policy is almost uniform: the agent
  explores every action evenly instead of committing, by accident of the
  random init, to one action it has never tried. The value head uses g = 1.
- Zero biases.

Do it in place, on the tensors the layer already owns. The `nn.init`
functions fill a tensor in place and already switch off autograd while they
do. Do not build a new tensor or a new nn.Parameter and assign it to
`layer.weight`: an optimizer created earlier (or any other holder of the old
parameter) would keep training the old one. And do not initialise a copy
(copy.deepcopy, .clone()): the model would stay as it was.
The layer keeps its dtype (a float64 layer stays float64), and the random
numbers come from the global stream, as nn.init's do: seeding is the
caller's choice, so init_layer never calls torch.manual_seed.

Write `init_layer`. Then look at `init_actor_critic`: it gives every layer
the same gain. Is that what the policy head needs?
"""

import math

import torch
from torch import nn

HIDDEN_GAIN = math.sqrt(2)
POLICY_GAIN = math.sqrt(2)  # TODO: which gain makes the first policy nearly uniform?
VALUE_GAIN = 1.0


class ActorCritic(nn.Module):
    """A shared trunk (two Linear + Tanh layers) and two heads.

    Attributes: `trunk` (nn.Sequential), `policy_head` (Linear to n_actions
    logits), `value_head` (Linear to one value).
    """

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
    """Orthogonal weight scaled by `gain`, zero bias, in place. Returns the same layer.

    Returning the layer lets you write `init_layer(nn.Linear(64, 3), 0.01)` inline.
    """
    # TODO: fill layer.weight (orthogonal, with this gain) and layer.bias (zeros) in place
    raise NotImplementedError("initialise the layer's own weight and bias in place")


def init_actor_critic(model: ActorCritic) -> ActorCritic:
    """Initialise every Linear layer of `model` in place. Returns the same model."""
    for layer in model.trunk:
        if isinstance(layer, nn.Linear):
            init_layer(layer, HIDDEN_GAIN)
    init_layer(model.policy_head, POLICY_GAIN)
    init_layer(model.value_head, VALUE_GAIN)
    return model

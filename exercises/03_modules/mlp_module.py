"""An MLP as an nn.Module and as an nn.Sequential.

A PyTorch network is a class that subclasses `nn.Module`. In `__init__` you
create its layers and assign them to attributes (`self.fc1 = nn.Linear(...)`);
PyTorch notices every layer assigned that way and collects its weights, so the
optimizer can find them. In `forward(x)` you say how an input flows through
the layers. You never call `forward` yourself: `net(x)` does it for you.

`nn.Linear(in_features, out_features)` maps a batch of shape
(B, in_features) to (B, out_features). Layers chain only if each one's
in_features equals the previous one's out_features. And between two Linear
layers there must be a nonlinearity such as ReLU: two Linear layers in a row
are just one Linear layer in disguise, however many you stack.

When a network is a plain chain of layers, `nn.Sequential(layer1, layer2,
...)` builds the same thing without writing a class: its forward runs the
layers in order.

Why RL cares: the Q-network of DQN, the policy of REINFORCE and the critic of
actor-critic are all this MLP with different input and output sizes. A wrong
size crashes at best; a missing activation silently learns a linear function
that cannot represent the values you need.

The network here is fixed: Linear(in_dim, hidden) -> ReLU ->
Linear(hidden, out_dim), with no activation after the output layer.
`MLP` below has two mistakes in it. Fix them, then build the same network
with `nn.Sequential` in `make_mlp`.
"""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, in_dim: int, hidden: int, out_dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(in_dim, out_dim)  # TODO: what does fc2 receive as input?

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: something is missing between the two layers
        return self.fc2(self.fc1(x))


def make_mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    """The same network as MLP, written as an nn.Sequential."""
    # TODO: return nn.Sequential(...) with the three pieces in order
    raise NotImplementedError("build the MLP with nn.Sequential")

"""Parameters vs buffers.

An `nn.Module` keeps two kinds of tensors. *Parameters* (`nn.Parameter`) are
the weights training adjusts: `module.parameters()` and
`module.named_parameters()` list them, and that list is what you hand to the
optimizer. *Buffers* are state the module needs but must not learn, such as
running statistics; you add one with `self.register_buffer("name", tensor)`.
Both kinds are saved in `module.state_dict()` (a dict from names like
"linear.weight" to tensors) and both move with `module.to(device)`.

The trap is registering such state as an `nn.Parameter`. It then shows up in
`parameters()`, the optimizer receives it, and every update step nudges it
with a gradient it was never meant to have. A plain attribute
(`self.obs_mean = torch.zeros(...)`) is not right either: it is left out of
`state_dict()`, so saving and loading loses it.

Why RL cares: many agents normalise observations with a running mean and
standard deviation. Those statistics must be saved with the policy (an agent
reloaded without them sees inputs on a different scale) but must never be
trained. The same goes for the count of "how many parameters does my network
have": that is the number of trainable numbers, buffers not included.

`NormalizedQHead` keeps `obs_mean` and `obs_std` (those two attribute names
are fixed) and applies a Linear layer to the normalised observation. Until
`set_stats` is called they hold mean 0 and std 1, so a fresh network leaves
observations unchanged. Fix how the two statistics are registered, then write
`count_parameters`.
"""

import torch
from torch import nn


class NormalizedQHead(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int) -> None:
        super().__init__()
        self.linear = nn.Linear(obs_dim, n_actions)
        # TODO: these are statistics to save with the model, not weights to learn
        self.obs_mean = nn.Parameter(torch.zeros(obs_dim))
        self.obs_std = nn.Parameter(torch.ones(obs_dim))

    def set_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Overwrite the normalisation statistics in place (no gradient involved)."""
        with torch.no_grad():
            self.obs_mean.copy_(mean)
            self.obs_std.copy_(std)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.linear((obs - self.obs_mean) / self.obs_std)


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in `module`: every element of every parameter.

    For nn.Linear(4, 2) that is 4 * 2 weights + 2 biases = 10. Buffers do not count.
    A parameter that two layers share (tied weights) is one set of numbers: count it once.
    (Every parameter here requires grad. Whether a frozen one, requires_grad=False,
    counts is a choice of convention; this check never hands you one.)
    """
    # TODO
    raise NotImplementedError("count the elements of the module's parameters")

"""Observation normalisation: a running mean and variance that saves with the model.

Raw observations come in wildly different units: a cart position near 1, a
velocity in the tens, a pixel count in the thousands. A network learns far
better when every input is roughly zero-mean and unit-variance, but an agent
cannot know the statistics in advance: it sees its data a batch at a time, as
it explores. So it keeps a running estimate and normalises with it,

    normalized = (obs - mean) / sqrt(var + eps),   optionally clipped to [-clip, clip].

Merging a new batch (n rows, mean m_b, variance v_b) into the running
statistics (count c, mean m, variance v) exactly, the parallel update of Chan
et al.:

    delta = m_b - m,    total = c + n
    m' = m + delta * n / total
    v' = (v * c + v_b * n + delta^2 * c * n / total) / total,    c' = total

Here the variances are population variances (`var(dim=0, correction=0)`):
torch's default divides by n - 1, which is a different number and NaN for a
batch of one. Averaging the two means, ignoring how many rows each stands
for, is the classic wrong merge. Merge with these formulas: they subtract
the mean before squaring. Raw moments (a running sum of x^2, the variance
as mean(x^2) - mean(x)^2) are the same in exact arithmetic but lose most
of their digits in float32 when a feature sits far from 0 for its spread (a
position of 300 +- 1), and such features are part of this contract.

The statistics are part of the agent: a policy trained on normalised inputs
is useless without them. Register them as *buffers* (`register_buffer`):
buffers go into `state_dict()` and follow `.to(device)`, but they are not
parameters, so no optimizer ever touches them. Plain attributes are lost on
save; `nn.Parameter`s would be "trained". Everything here runs under
`torch.no_grad()`: the statistics are counted, never learned, and the output
carries no graph.

The contract: in training mode (`module.train()`, the default) `forward`
first merges the batch into the statistics, then normalises with the updated
ones; in eval mode (`module.eval()`) it only normalises, so evaluating a
policy never shifts what it sees. `update(obs)` merges without normalising.
The count starts at 0, the mean at 0 and the variance at 1, so the first
batch simply becomes the statistics. This differs from the libraries: SB3's
`RunningMeanStd` and gymnasium's `NormalizeObservation` start the count at
1e-4 (so it never divides by zero, and the first batch is weighted a hair
under 1), rl_games starts it at 1; after many batches all agree. SB3's
`VecNormalize` updates only while `training` is True, as train mode does
here.
"""

import torch
from torch import nn


class ObsNormalizer(nn.Module):
    """Normalises (B, obs_dim) observations with running statistics kept as buffers.

    Buffers: mean (obs_dim,), var (obs_dim,), count 0-d; float32.
    forward returns a tensor of the input's shape, without a graph, in the input's dtype
    for float32 and float64 input (a float16 or bfloat16 batch meets the float32 buffers
    and comes out float32, by PyTorch's promotion).
    """

    def __init__(self, obs_dim: int, eps: float = 1e-8, clip: float | None = None) -> None:
        super().__init__()
        self.eps = eps
        self.clip = clip
        # TODO: these must be buffers, so they are saved in state_dict and are not parameters.
        self.mean = torch.zeros(obs_dim)
        self.var = torch.ones(obs_dim)
        self.count = torch.tensor(0.0)

    @torch.no_grad()
    def update(self, obs: torch.Tensor) -> None:
        """Merge a (B, obs_dim) batch into the running mean, variance and count, in place."""
        # TODO: the parallel (Chan) update written above.
        raise NotImplementedError("merge the batch into mean, var and count")

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            # TODO: in training mode only, merge obs into the statistics first.
            normalized = (obs - self.mean) / torch.sqrt(self.var + self.eps)
            if self.clip is not None:
                normalized = normalized.clamp(-self.clip, self.clip)
        return normalized

"""Views, strides, contiguous memory: view vs reshape.

A tensor's numbers sit in one flat block of memory. Its *strides* say how far
to jump in that block to move one step along each dimension: a (2, 3) tensor
laid out row by row has strides (3, 1). Such a row-by-row layout is called
*contiguous*.

Many operations make a *view*: a new shape and new strides over the SAME
memory, with nothing copied. `x.t()` / `x.transpose(0, 1)` / `x.permute(...)`
only swap strides, so a transposed (2, 3) tensor is a (3, 2) view with strides
(1, 3): no longer row by row, not contiguous.

`x.view(new_shape)` also only changes the strides, so it works only when the
new shape can walk the memory as it is laid out. On a transposed tensor that
is usually impossible and `view` raises a RuntimeError. `x.reshape(...)`
returns a view when it can and quietly copies when it must;
`x.contiguous()` makes the row-by-row copy explicitly.

Why RL cares: rollouts are often stored time-major, (T, B, obs_dim), one row
of B environments per step. To train you swap to batch-major (B, T, obs_dim)
and flatten to (B*T, obs_dim). The swap makes the data non-contiguous, so the
flatten must not be a bare `view`; and skipping the swap entirely mixes up
environments and time steps without any error.

Your job: answer the question and fix `batch_major_flat`.
"""

import torch

# Question. x = torch.arange(6).view(2, 3) and y = x.t(). Which is true?
#   "a": y is a copy of x laid out row by row, so y.view(6) works
#   "b": y shares x's memory with strides (1, 3), so it is not contiguous and
#        y.view(6) raises an error, while y.reshape(6) copies and works
#   "c": y shares x's memory and y.view(6) gives tensor([0, 1, 2, 3, 4, 5])
ANSWER = None  # TODO: one of "a", "b", "c"


def batch_major_flat(obs: torch.Tensor) -> torch.Tensor:
    """obs is time-major, (T, B, D). Return (B*T, D), grouped by environment:

    row b*T + t is obs[t, b], so environment 0's T steps come first, in order,
    then environment 1's, and so on.
    """
    T, B, D = obs.shape
    # TODO: this raises "view size is not compatible with input tensor's size and stride"
    return obs.transpose(0, 1).view(B * T, D)

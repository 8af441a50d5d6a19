"""RL rollout shapes: flatten time into the batch, and back.

A rollout from B environments run for T steps is a set of tensors with the
batch first and time second:

    obs      (B, T, obs_dim)   what each environment showed at each step
    actions  (B, T)            the action taken there
    rewards  (B, T)            the reward received

Networks, though, take a plain batch of observations, (N, obs_dim). So you
flatten time into the batch, N = B*T, run the network once on everything, and
unflatten the result back to (B, T) to line it up with rewards and actions.

In memory a (B, T, ...) tensor holds environment 0's T steps, then
environment 1's, and so on, so flattening the first two dimensions gives row
b*T + t for environment b at step t, and unflattening is the exact inverse
with the sizes in the SAME order: (B, T), never (T, B). Get that order wrong
and the shapes may even look right (or be right, when B == T) while every
value is attached to the wrong environment or step: returns and advantages
are then computed from rewards that belong to other steps.

CleanRL and Stable-Baselines3 store their rollouts the other way round,
time-major (T, N, ...), and flatten them as they are (row t*N + n); that is
consistent there because they never unflatten in the other order. Here the
rollout is batch-major (B, T, ...), so row b*T + t, and no transpose.

`x.flatten(0, 1)` merges the first two dimensions; `y.unflatten(0, (B, T))`
splits the first one again. `reshape` with explicit sizes works too.
`x.shape[2:]` is whatever comes after (B, T): (obs_dim,) for observations,
nothing for rewards.

Your job: write `flatten_time`, fix `unflatten_time`, and use both in
`values_per_step`.
"""

from collections.abc import Callable

import torch


def flatten_time(x: torch.Tensor) -> torch.Tensor:
    """(B, T, ...) -> (B*T, ...): row b*T + t is x[b, t]. Works for obs and for rewards.

    x may be a transposed view of a time-major buffer, so not contiguous.
    """
    # TODO: merge the first two dimensions, keep the rest
    raise NotImplementedError("merge the batch and time dimensions")


def unflatten_time(y: torch.Tensor, batch_size: int, steps: int) -> torch.Tensor:
    """(B*T, ...) -> (B, T, ...), the inverse of flatten_time."""
    # TODO: which size comes first in a rollout?
    return y.reshape(steps, batch_size, *y.shape[1:])


def values_per_step(
    value_net: Callable[[torch.Tensor], torch.Tensor], obs: torch.Tensor
) -> torch.Tensor:
    """The value estimate of every observation in a rollout, shape (B, T).

    obs is (B, T, obs_dim). value_net only accepts a flat batch (N, obs_dim) and
    returns (N, 1). Run it once on all B*T observations, then bring the result
    back to one value per environment and step.
    """
    # TODO: flatten, run the network, drop the trailing 1, unflatten
    raise NotImplementedError("evaluate value_net on the whole rollout")

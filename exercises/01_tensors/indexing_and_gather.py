"""Indexing, slicing, masks and gather.

Tensors index like nested lists, one position per dimension, separated by
commas. For a batch `x` of shape (B, D), one row per sample:

    x[0]        the first row, shape (D,)
    x[:, 1]     column 1 of every row, shape (B,)
    x[:, 1:3]   columns 1 and 2 (the stop index is excluded), shape (B, 2)
    x[-2:]      the last two ROWS: a single slice applies to dimension 0
    x[mask]     with a bool tensor of x's shape: the picked elements, 1-D

The usual slips are a slice that is one too long or too short (stops are
exclusive, negative indices count from the end) and a slice on the wrong
dimension: `x[2:4]` takes rows, `x[:, 2:4]` takes columns.

`torch.gather(input, dim, index)` picks one element per position along
`dim`: with q of shape (B, A) and index of shape (B, 1),
`q.gather(1, index)[i, 0]` is `q[i, index[i, 0]]`. The index must be int64
and have as many dimensions as q, which is why it is (B, 1) and not (B,).

Why RL cares: a Q-network gives Q-values of shape (B, A), one per action, but
the DQN loss needs only Q(s, a) for the action a actually taken in each
sample: one gather along the action dimension. Slicing picks parts of an
observation, the most recent steps of a rollout, and masks pick the steps
where an episode ended.

Your job: fix `pole_state` and fill in the other three.
"""

import torch


def pole_state(obs: torch.Tensor) -> torch.Tensor:
    """obs is (B, 4), CartPole-style: [cart pos, cart vel, pole angle, pole ang. vel].

    Return the pole's angle and angular velocity for every sample: shape (B, 2).
    """
    # TODO: this slice does not take columns 2 and 3
    return obs[2:4]


def last_steps(rewards: torch.Tensor, k: int) -> torch.Tensor:
    """rewards is (B, T). Return the last k time steps of every row: (B, k), k >= 1."""
    # TODO: slice the time dimension
    raise NotImplementedError("slice out the last k steps")


def terminal_rewards(rewards: torch.Tensor, dones: torch.Tensor) -> torch.Tensor:
    """rewards (B, T) float, dones (B, T) bool. Return the rewards of the steps where
    done is True, as a 1-D tensor in row order (row 0's first, then row 1's, ...)."""
    # TODO: index with the mask
    raise NotImplementedError("pick the rewards where done is True")


def chosen_q_values(q_values: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """q_values (B, A), actions (B,) int64. Return Q(s_i, a_i) for each i: shape (B,)."""
    # TODO: gather along the action dimension; mind the (B, 1) index and result
    raise NotImplementedError("gather the Q-value of each taken action")

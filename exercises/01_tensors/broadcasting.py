"""Broadcasting, and the (B,) vs (B, 1) trap.

When two tensors of different shapes meet in `+`, `-`, `*`, ..., PyTorch
lines their shapes up from the RIGHT and stretches any dimension of size 1
(or a missing one) to match the other. Nothing is copied; it just behaves as
if it were:

    (B, A) + (A,)      -> (B, A)   the (A,) row is added to every row
    (B, A) * (B, 1)    -> (B, A)   row i is scaled by column entry i
    (B, A) * (B,)      -> lines B up with A: an error, or, when B == A,
                          a silently wrong result

`unsqueeze(d)` inserts a dimension of size 1 at position d, so
`w.unsqueeze(1)` (or `w[:, None]`) turns a (B,) vector into a (B, 1) column;
`squeeze(1)` removes it again.

The trap: a (B, 1) column meeting a (B,) vector broadcasts to (B, B). No
error, every element paired with every other, and once you take `.mean()` the
wrong shape disappears into a single plausible-looking number.

Why RL cares: Q(s, a) picked with `gather` comes out as (B, 1) while TD
targets built from rewards are (B,). Subtract them as they are and the DQN
loss averages B*B meaningless differences; the agent trains on noise and no
error is ever raised. The same care applies to per-sample weights such as
importance weights in prioritized replay. (Stable-Baselines3's replay buffer
hands rewards and dones over as (B, 1) columns; here the targets are (B,).)

Your job: fill in `add_bias` and fix `weight_rows` and `td_errors`.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def add_bias(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x is (B, A), bias is (A,): add bias[j] to column j of every row. Returns (B, A)."""
    # TODO: which way do the shapes line up?
    raise NotImplementedError("add the bias to every row")


def weight_rows(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """x is (B, A), weights is (B,): multiply row i of x by weights[i]. Returns (B, A).

    The weights are positive; x may hold -inf (a masked action), which stays -inf.
    """
    # TODO: weights lines up with the columns here, not the rows
    return x * weights


def td_errors(q_taken: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """q_taken is (B, 1) (as gather returns it), targets is (B,).

    Return targets[i] - q_taken[i, 0] for each i, shape (B,).
    """
    # TODO: what shape does (B,) - (B, 1) give?
    return targets - q_taken


def td_loss(q_taken: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean squared TD error, a 0-dim tensor. (Correct once td_errors is.)"""
    return (td_errors(q_taken, targets) ** 2).mean()

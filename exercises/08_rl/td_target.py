"""The TD target, and the critic's loss.

A critic V(s) estimates how much discounted reward follows state s. It is
trained by temporal-difference (TD) learning: after one step (s, r, s', done)
the critic's guess V(s) should move toward the one-step target

    y = r + gamma * (1 - done) * V(s')

Two details make or break it.

- At an episode end there is no next state worth anything: (1 - done) = 0
  stops the bootstrap. Leave it out and the critic adds the value of a state
  from the *next* episode (or a reset screen) to the last reward.
- The target is a fixed number to regress toward, not something to change.
  Compute it under `torch.no_grad()` (or `.detach()` it). If the gradient is
  allowed to flow into V(s') as well, the critic lowers its loss by moving
  the target toward its own guess, and learning goes wrong.

The critic network returns a (B, 1) tensor: one value per state, in a column.
Rewards and dones are (B,). Mix the two and PyTorch broadcasts (B, 1) with
(B,) into a (B, B) matrix without a word, so take the column apart with
`.squeeze(-1)` first.

Habits from the libraries: here `dones[t]` = 1 marks the step that ENDED
its episode (CleanRL's `next_done` and SB3's `episode_starts` flag the first
step of the next one); rewards and dones are (B,), where SB3 keeps (B, 1);
and the loss is the plain MSE, without the 0.5 factor of SB3's SAC and TD3
critic losses or the Huber loss of its DQN.

Your job: compute the target, then the mean-squared-error loss of V(s)
against it.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors. The
critic, too, goes back as it came: in its train/eval mode, its parameters'
requires_grad unchanged (torch.no_grad() needs neither switched).
"""

import torch
import torch.nn.functional as F  # noqa: F401  (F.mse_loss is one way)
from torch import nn


def td_target(
    critic: nn.Module, rewards: torch.Tensor, next_obs: torch.Tensor, dones: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """Return y = r + gamma * (1 - done) * V(s') as a (B,) tensor that carries no gradient.

    rewards, dones: (B,) float tensors (dones are 0.0 / 1.0); next_obs: (B, obs_dim).
    """
    # TODO: compute the target without building a graph, with the right shapes.
    raise NotImplementedError("compute the TD target")


def critic_loss(critic: nn.Module, obs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Return the mean squared error between V(obs) (made (B,)) and `targets` (B,): a scalar."""
    # TODO
    raise NotImplementedError("compute the critic's MSE loss")

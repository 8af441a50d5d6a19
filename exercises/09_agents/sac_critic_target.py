"""The SAC critic target: twin critics, the smaller one, and an entropy bonus.

Soft Actor-Critic learns two Q-networks, Q1 and Q2, each pulled toward the
same target

    y = r + gamma * (1 - done) * ( min(Q1'(s', a'), Q2'(s', a')) - alpha * log pi(a' | s') )

Reading it piece by piece:

- a' is a FRESH action from the CURRENT policy at the next state s', drawn
  once, together with its log-probability log pi(a' | s'), and fed to both
  critics. (Not the action stored in the replay buffer: that one came from an
  older policy.) Here `actor(next_obs)` returns `(a', log_pi)`, log_pi (B,).
- Q1', Q2' are the two *target* critics, slow Polyak-averaged copies of Q1
  and Q2 (tau = 0.005 per step; Spinning Up's `polyak` = 0.995 is 1 - tau).
  Taking the smaller of the two, elementwise, fights the upward bias of
  maximising over noisy estimates, the same bias Double DQN fights. The max
  would feed it.
- The entropy term, minus alpha * log pi: SAC maximises reward plus alpha
  times the entropy, and -log pi(a'|s') is a one-sample estimate of the
  entropy at s'. A likely action (log pi high) earns a small bonus, an
  unusual one a large bonus. Minus, not plus.
- `dones[i]` = 1 when transition i was the last step of its episode because
  the episode truly ended: y = r. A time-limit cut (truncation) is stored as
  0 here, so it still bootstraps. (CleanRL's SAC stores terminations like
  this too; CleanRL's PPO `next_done` and SB3's `episode_starts` flag the
  first step of the next episode instead, and SB3 keeps dones as (B, 1).)

The target is a constant for the critic loss, so it is computed entirely under
`torch.no_grad()`: no graph through the actor, the target critics, or alpha
(which may arrive as `log_alpha.exp()`, a tensor that requires grad).

The critic loss that uses y is then MSE(Q1(s, a), y) + MSE(Q2(s, a), y), with
the stored action a. (SB3's SAC takes half of that sum; same minimum.)

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch
from torch import nn


def sac_critic_target(
    actor: nn.Module,
    q1_target: nn.Module,
    q2_target: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    dones: torch.Tensor,
    alpha: float | torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """The (B,) SAC targets for the critics, with no graph.

    actor(obs) -> (actions (B, A), log_pi (B,)); q(obs, actions) -> (B,).
    rewards, dones: (B,), dones float 1.0 where the episode terminated.
    alpha: a float or a 0-d tensor. Returns (B,) in the inputs' dtype.
    """
    # TODO: under torch.no_grad(): draw (a', log_pi) once at next_obs, take the smaller
    # of the two target critics' values, subtract alpha * log_pi, mask with (1 - dones).
    raise NotImplementedError("compute the SAC critic target")

"""The Double DQN target: choose with one network, judge with the other.

The DQN target y = r + gamma * max_a' Q_target(s', a') takes the max of noisy
estimates. A max of noisy numbers is biased upward: whichever action happens
to be overestimated wins, and its overestimate is what gets copied into the
target, step after step. DQN's Q-values drift above the true returns.

Double DQN splits the max into its two jobs. The ONLINE network *chooses*
the next action, a* = argmax_a' Q_online(s', a') (argmax over dim 1, each
state's actions), and the TARGET network *judges* it, Q_target(s', a*)
(gather along dim 1). An action that the online network overrates is not
necessarily overrated by the target network too, so the bias mostly cancels:

    y = r + gamma * (1 - done) * Q_target(s', argmax_a' Q_online(s', a'))

Taking both the argmax and the value from the target network is plain DQN
again (target(s').max(1)); taking both from the online network is worse.

`dones[i]` = 1 when transition i was the last step of its episode because
the episode truly ended (terminated): no future, so y = r. A time-limit cut
(truncation) is stored as 0 here, so it still bootstraps. (CleanRL's PPO
`next_done` and SB3's `episode_starts` flag the first step of the *next*
episode instead; their replay buffers store dones like here, SB3's as (B, 1).)

The whole target is a constant for the loss that follows: compute it under
`torch.no_grad()`, so no graph is built and no gradient can ever reach either
network. The loss that uses y is the Huber loss of the previous exercise.
(SB3's DQN and the PyTorch DQN tutorial use Huber plus gradient clipping, with
the plain-DQN max target; this exercise is the Double DQN target only.)
"""

import torch
from torch import nn


def double_dqn_target(
    online: nn.Module,
    target: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """The (B,) Double DQN targets, computed under torch.no_grad().

    online, target: Q-networks mapping (B, obs_dim) to (B, n_actions).
    rewards, dones: (B,), dones float 1.0 where the episode terminated.
    next_obs: (B, obs_dim). Returns (B,) in the networks' dtype (when rewards and
    dones share it; mixed dtypes follow PyTorch's promotion, the wider), with no graph.
    """
    with torch.no_grad():
        next_actions = ...  # TODO: (B, 1) actions the ONLINE network rates best at s'
        next_q = ...  # TODO: (B,) the TARGET network's value of those actions
        if next_actions is ... or next_q is ...:  # quiet once both are filled in
            raise NotImplementedError("fill in next_actions and next_q, the two TODO lines")
        return rewards + gamma * (1.0 - dones) * next_q

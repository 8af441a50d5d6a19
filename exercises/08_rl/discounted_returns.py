"""Discounted returns G_t, with episode ends.

Policy-gradient methods such as REINFORCE judge each action by the reward
that followed it: the discounted return

    G_t = r_t + gamma * r_{t+1} + gamma^2 * r_{t+2} + ...

Going backwards through time this is one line, G_t = r_t + gamma * G_{t+1},
which is why returns are computed in a reverse loop.

A rollout buffer, though, holds several episodes back to back. `dones[t]`
is 1.0 when the episode ended at step t (the next entry belongs to a new
episode) and 0.0 otherwise. (CleanRL's `next_done` and SB3's
`episode_starts` flag the FIRST step of the next episode instead: there
the same buffer reads `1 - dones[t + 1]`.) Rewards of the next episode
have nothing to do with this one, so at an episode end the sum must stop:

    G_t = r_t + gamma * (1 - dones[t]) * G_{t+1}

Forget the (1 - done) and the last steps of every episode get credit for
what happened in the next one: a silent bug that makes learning noisy or
wrong, never crashes. The buffer ends where the rollout stopped; treat the
step after the last one as worth 0. (CleanRL and SB3 keep vectorised
rollouts time-major, (T, N); this function takes one environment's (T,).)

Your job: fix the loop so the discount stops at every episode end.
"""

import torch


def discounted_returns(rewards: torch.Tensor, dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """Return G_t for every step: a (T,) tensor of the same shape and dtype as `rewards`.

    rewards: (T,) float tensor. dones: (T,) float tensor of 0.0 / 1.0.
    """
    returns = torch.zeros_like(rewards)
    running = 0.0
    for t in reversed(range(len(rewards))):
        # TODO: at an episode end, what came after step t must not count.
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns

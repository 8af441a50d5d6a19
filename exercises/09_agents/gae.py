"""Generalised advantage estimation (GAE) over a (T, N) rollout.

An actor-critic judges each action by its advantage: how much better things
went than the critic expected. The one-step version is the TD error

    delta_t = r_t + gamma * V(s_{t+1}) - V(s_t)

which leans entirely on the critic; the Monte-Carlo return leans on nothing
but is noisy. GAE blends them with a second knob, lambda:

    A_t = delta_t + gamma * lam * A_{t+1}

lam = 0 gives the TD error, lam = 1 the discounted return minus V(s_t).
gamma says how much the future is worth; lam says how far to trust the
sampled rewards over the critic's guesses. They are not interchangeable: gamma appears inside
delta_t and in the sum, lam only in the sum. Like every return it runs
backwards in time, and the rollout stops somewhere: after the last step,
V(s_T) of `last_values` (the observation the envs are on now) stands in for
everything that comes later.

The rollout is time-major, (T, N): T steps of N environments stepped
together, each of which may end episodes anywhere. This course's convention:
`terminated[t]` / `truncated[t]` are 1.0 when step t was the LAST step of
its episode. (CleanRL's `dones[t]` / `next_done` and SB3's `episode_starts`
flag the FIRST step of the next episode instead: their `dones[t + 1]` is
our `dones[t]`.) Vector envs reset an env as soon as its episode ends, so
the observation after an ended step belongs to a new episode, and
`values[t + 1]` is worthless there.

The two ways an episode ends are not the same:
- terminated: the task really ended (the pole fell). Nothing comes after,
  so V(s_{t+1}) is 0: no bootstrap.
- truncated: a time limit cut the episode short. The state was not final,
  so still bootstrap, from the value of the TRUE final observation, which
  `final_values[t]` holds (the env hands that observation back in `info`:
  SB3's "terminal_observation", gymnasium's "final_obs" in SAME_STEP
  autoreset mode).
  Where an episode did not end, `final_values` holds junk: ignore it.
If both flags are set, termination wins. Either way the episode is over, so
the running sum A must restart there: nothing of the next episode may leak
back. (Plain CleanRL treats truncation as termination; SB3 adds
gamma * V(final obs) to the reward instead, which is the same thing.)

GAE makes targets, so no gradient may flow through it even when `values`
arrive attached to the critic: work under torch.no_grad().

Your job: the value each step bootstraps from, and the reset of the sum.
"""

import torch


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    terminated: torch.Tensor,
    truncated: torch.Tensor,
    final_values: torch.Tensor,
    last_values: torch.Tensor,
    *,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (advantages, returns), both (T, N) in the dtype of `rewards`, without grad.

    (All inputs share one dtype, float32 or float64, and the outputs keep it. Mixed
    dtypes, such as float64 rewards from NumPy with float32 values from the critic,
    are outside this exercise: cast them to one dtype before calling gae.)

    rewards, values, terminated, truncated, final_values: (T, N), time-major.
    terminated / truncated: 0.0 / 1.0, set on the LAST step of an episode.
    final_values[t]: V(true final observation) where step t ended an episode.
    last_values: (N,), V of the observation after the last step.
    returns = advantages + values (the critic's regression target).
    The inputs are left untouched.
    """
    with torch.no_grad():
        ended = torch.maximum(terminated, truncated)
        next_values = torch.cat([values[1:], last_values.unsqueeze(0)])
        # TODO: where step t ended its episode, values[t + 1] belongs to the next
        # one: use final_values[t] where truncated, and 0 where terminated.
        deltas = rewards + gamma * next_values - values
        advantages = torch.zeros_like(rewards)
        running = torch.zeros_like(rewards[0])
        for t in reversed(range(rewards.shape[0])):
            # TODO: at an episode end the running sum must start afresh.
            running = deltas[t] + gamma * lam * running
            advantages[t] = running
        returns = advantages + values
    return advantages, returns

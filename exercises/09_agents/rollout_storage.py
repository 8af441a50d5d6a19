"""Rollout storage for N vectorised environments, time-major (T, N).

An on-policy agent such as PPO steps N copies of the environment together
for T steps, remembers everything, learns from it, throws it away and does
it again. The storage is a set of preallocated tensors, one row per step:

    obs        (T, N, obs_dim)   what each env showed before acting
    actions    (T, N)  int64     what was done (discrete actions)
    log_probs  (T, N)            log pi(a|s) when it was done (PPO's "old")
    rewards    (T, N)
    dones      (T, N)            1.0 where step t was the LAST of its episode
    values     (T, N)            V(s) when it was done

Time-major: row t holds step t of all N envs, as in CleanRL and SB3 (while
they collect). The
`dones` convention is this course's: dones[t] = 1 when the transition at
step t ended its episode. (CleanRL stores `dones[step] = next_done` BEFORE
stepping, so its dones[t] flags the FIRST step of the next episode, our
dones[t - 1]; SB3's `episode_starts` does the same.)

`add` writes row `step` and moves `step` on; writing past row T-1 fails by
itself (an IndexError). Besides the rows it keeps the newest `next_obs`
(the observation the envs are on now, V(next_obs) bootstraps the last step)
and `next_done` (whether the last step ended an episode: then next_obs is a
new episode's and must not bootstrap). Keep copies: an env may reuse its
array for the next observation. log_probs and values come from networks and
may arrive attached to their graphs: store numbers (detach), or every
rollout keeps a graph alive and a later backward walks into it.

For the update, (T, N) becomes (T * N,): `flatten(0, 1)` or reshape, where
sample k is step k // N of env k % N. (That is CleanRL's order. SB3's
`swap_and_flatten` swaps the axes first and flattens env-first, so there
sample k is step k % T of env k // T; the update shuffles either way.) Going back is a reshape to (T, N, ...).
Looking at one env's trajectory needs (N, T, ...): that is a transpose.
Reshaping a (T, N) tensor to (N, T) keeps the same order of numbers in
memory and cuts it differently: env 0 would get the first T numbers, which
are steps of several envs. The shapes are right and the data is scrambled.

Your job: add, flatten, unflatten and by_env.
"""

import torch


class RolloutStorage:
    def __init__(self, num_steps: int, num_envs: int, obs_dim: int) -> None:
        self.num_steps, self.num_envs = num_steps, num_envs
        self.obs = torch.zeros(num_steps, num_envs, obs_dim)
        self.actions = torch.zeros(num_steps, num_envs, dtype=torch.int64)
        self.log_probs = torch.zeros(num_steps, num_envs)
        self.rewards = torch.zeros(num_steps, num_envs)
        self.dones = torch.zeros(num_steps, num_envs)
        self.values = torch.zeros(num_steps, num_envs)
        self.step = 0
        self.next_obs: torch.Tensor | None = None
        self.next_done: torch.Tensor | None = None

    def add(self, obs, action, log_prob, reward, done, value, next_obs) -> None:
        """Store one step of all N envs in row `step`, then advance `step` by one.

        obs (N, obs_dim); action (N,) int64; log_prob, reward, done, value (N,);
        next_obs (N, obs_dim): what env.step returned, kept as self.next_obs (a copy),
        with self.next_done = this step's done (a copy).
        """
        # TODO: write row self.step of every buffer (numbers only: no graph),
        # keep copies of next_obs and next_done, move self.step on.
        raise NotImplementedError("store one step")

    def reset(self) -> None:
        """Start the next rollout at row 0; next_obs and next_done carry over."""
        self.step = 0

    def flatten(self) -> dict[str, torch.Tensor]:
        """The six buffers as (T * N, ...) by name: sample k is step k // N of env k % N."""
        # TODO: obs, actions, log_probs, rewards, dones, values, each (T * N, ...).
        raise NotImplementedError("flatten time into the batch")

    def unflatten(self, flat: torch.Tensor) -> torch.Tensor:
        """(T * N, ...) back to (T, N, ...): the inverse of flatten."""
        # TODO
        raise NotImplementedError("back to (T, N)")

    def by_env(self, x: torch.Tensor) -> torch.Tensor:
        """(T, N, ...) to (N, T, ...): row n is env n's steps in time order."""
        # TODO
        raise NotImplementedError("one row per env")

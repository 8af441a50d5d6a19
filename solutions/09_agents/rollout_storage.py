"""Rollout storage for N vectorised environments, time-major: reference solution."""

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
        t = self.step
        self.obs[t] = obs
        self.actions[t] = action
        self.log_probs[t] = log_prob.detach()
        self.rewards[t] = reward
        self.dones[t] = done
        self.values[t] = value.detach()
        self.next_obs = next_obs.clone()
        self.next_done = done.clone()
        self.step = t + 1

    def reset(self) -> None:
        self.step = 0

    def flatten(self) -> dict[str, torch.Tensor]:
        names = ("obs", "actions", "log_probs", "rewards", "dones", "values")
        return {name: getattr(self, name).flatten(0, 1) for name in names}

    def unflatten(self, flat: torch.Tensor) -> torch.Tensor:
        return flat.reshape(self.num_steps, self.num_envs, *flat.shape[1:])

    def by_env(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(0, 1)

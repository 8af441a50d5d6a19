"""The PPO update loop: reference solution."""

from typing import NamedTuple

import torch
from torch import nn
from torch.distributions import Categorical


class ActorCritic(nn.Module):
    """A small discrete-action actor-critic: two separate MLPs."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 32) -> None:
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(),
                                   nn.Linear(hidden, n_actions))
        self.critic = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def evaluate(self, obs: torch.Tensor, actions: torch.Tensor):
        """(log pi(a|s), entropy, V(s)) for a minibatch, each (B,)."""
        dist = Categorical(logits=self.actor(obs))
        return dist.log_prob(actions), dist.entropy(), self.critic(obs).squeeze(-1)


class Rollout(NamedTuple):
    """A stored rollout, flattened to (B,) = (T * N,) samples."""

    obs: torch.Tensor  # (B, obs_dim)
    actions: torch.Tensor  # (B,) int64
    log_probs: torch.Tensor  # (B,) log pi_old(a|s), recorded when the action was taken
    advantages: torch.Tensor  # (B,)
    returns: torch.Tensor  # (B,)


def ppo_loss(new_log_probs, old_log_probs, advantages, new_values, returns, entropy, *,
             clip_eps, vf_coef, ent_coef):
    """The total PPO loss from the previous exercise (plain value loss)."""
    ratio = torch.exp(new_log_probs - old_log_probs.detach())
    advantages = advantages.detach()
    policy_loss = -torch.min(ratio * advantages,
                             ratio.clamp(1 - clip_eps, 1 + clip_eps) * advantages).mean()
    value_loss = (new_values - returns.detach()).pow(2).mean()
    return policy_loss + vf_coef * value_loss - ent_coef * entropy.mean()


def ppo_update(
    agent: ActorCritic,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    *,
    epochs: int,
    minibatch_size: int,
    generator: torch.Generator,
    clip_eps: float = 0.2,
    vf_coef: float = 0.5,
    ent_coef: float = 0.01,
    max_grad_norm: float = 0.5,
    target_kl: float | None = None,
) -> int:
    size = rollout.obs.shape[0]
    steps = 0
    for _ in range(epochs):
        order = torch.randperm(size, generator=generator)
        for start in range(0, size, minibatch_size):
            idx = order[start:start + minibatch_size]
            new_log_probs, entropy, values = agent.evaluate(rollout.obs[idx], rollout.actions[idx])
            with torch.no_grad():
                log_ratio = new_log_probs - rollout.log_probs[idx]
                approx_kl = ((log_ratio.exp() - 1) - log_ratio).mean().item()
            if target_kl is not None and approx_kl > target_kl:
                return steps
            loss = ppo_loss(new_log_probs, rollout.log_probs[idx], rollout.advantages[idx],
                            values, rollout.returns[idx], entropy,
                            clip_eps=clip_eps, vf_coef=vf_coef, ent_coef=ent_coef)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), max_grad_norm)
            optimizer.step()
            steps += 1
    return steps

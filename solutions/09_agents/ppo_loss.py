"""The full PPO loss: reference solution."""

import torch


def ppo_loss(
    new_log_probs: torch.Tensor,
    old_log_probs: torch.Tensor,
    advantages: torch.Tensor,
    new_values: torch.Tensor,
    returns: torch.Tensor,
    entropy: torch.Tensor,
    *,
    clip_eps: float = 0.2,
    vf_coef: float = 0.5,
    ent_coef: float = 0.01,
    old_values: torch.Tensor | None = None,
    value_clip: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    advantages = advantages.detach()
    ratio = torch.exp(new_log_probs - old_log_probs.detach())
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    policy_loss = -torch.min(unclipped, clipped).mean()

    returns = returns.detach()
    value_loss = (new_values - returns).pow(2)
    if value_clip is not None:
        old = old_values.detach()
        v_clipped = old + torch.clamp(new_values - old, -value_clip, value_clip)
        value_loss = torch.max(value_loss, (v_clipped - returns).pow(2))
    value_loss = value_loss.mean()

    entropy_mean = entropy.mean()
    total = policy_loss + vf_coef * value_loss - ent_coef * entropy_mean
    return total, policy_loss, value_loss, entropy_mean

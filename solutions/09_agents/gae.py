"""Generalised advantage estimation over a (T, N) rollout: reference solution."""

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
    with torch.no_grad():
        ended = torch.maximum(terminated, truncated)
        next_values = torch.cat([values[1:], last_values.unsqueeze(0)])
        next_values = torch.where(truncated.bool(), final_values, next_values)
        next_values = next_values * (1.0 - terminated)
        deltas = rewards + gamma * next_values - values
        advantages = torch.zeros_like(rewards)
        running = torch.zeros_like(rewards[0])
        for t in reversed(range(rewards.shape[0])):
            running = deltas[t] + gamma * lam * (1.0 - ended[t]) * running
            advantages[t] = running
        returns = advantages + values
    return advantages, returns

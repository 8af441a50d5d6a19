"""What backward needs: reference solution."""

import torch


def entropy_gradient(logits: torch.Tensor) -> torch.Tensor:
    logits = logits.detach().clone().requires_grad_()
    probs = torch.softmax(logits, dim=-1)
    probs = probs + 1e-8
    entropy = -(probs * probs.log()).sum()
    entropy.backward()
    return logits.grad


def actor_critic_gradients(
    w_trunk: torch.Tensor, w_actor: torch.Tensor, w_critic: torch.Tensor,
    obs: torch.Tensor, returns: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    w_trunk, w_actor, w_critic = (
        w.detach().clone().requires_grad_() for w in (w_trunk, w_actor, w_critic)
    )
    h = torch.tanh(obs @ w_trunk)
    actor_loss = -torch.log_softmax(h @ w_actor, dim=-1)[:, 0].mean()
    critic_loss = ((h @ w_critic - returns) ** 2).mean()
    (actor_loss + critic_loss).backward()
    return w_trunk.grad, w_actor.grad, w_critic.grad

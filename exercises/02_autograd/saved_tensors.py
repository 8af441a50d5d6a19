"""What backward needs: the tensors the forward pass saved.

To differentiate, autograd keeps some tensors from the forward pass.
`p = torch.softmax(logits, -1)` keeps p itself, because the derivative of
softmax is written in terms of its output. Two things follow.

Changing a saved tensor in place breaks backward. `p += 1e-8` writes into
the very tensor softmax kept. Autograd notices (every tensor carries a
version counter that in-place operations bump) and refuses with "one of the
variables needed for gradient computation has been modified by an inplace
operation". The out-of-place form `p = p + 1e-8` makes a new tensor and
leaves the saved one alone. `+=`, `*=`, `x[i] = ...` and methods ending in
`_` (add_, clamp_) are all in place.

The saved tensors are freed by the first backward through them. Two losses
that share part of a graph cannot each call backward on their own: the second
one finds the shared part freed ("Trying to backward through the graph a
second time"). Either add the losses and call backward once, or ask the first
backward to keep the graph with `retain_graph=True`.

Why RL cares: the entropy bonus of a policy is -(p * log p).sum(), and adding
a small epsilon to p to keep log away from zero is a favourite place for an
in-place `+=`. Actor-critic networks share a trunk between the policy loss
and the value loss, so two separate backwards hit the freed graph.

Your job: fix both functions so that backward runs and the gradients come out.
"""

import torch


def entropy_gradient(logits: torch.Tensor) -> torch.Tensor:
    """Return d(entropy)/d(logits), the entropy of softmax(logits) summed over the batch.

    logits is (B, A): one row of action scores per state. The result is (B, A).
    """
    logits = logits.detach().clone().requires_grad_()
    probs = torch.softmax(logits, dim=-1)
    # TODO: this keeps log() away from zero, but it writes into the tensor softmax saved.
    probs += 1e-8
    entropy = -(probs * probs.log()).sum()
    entropy.backward()
    return logits.grad


def actor_critic_gradients(
    w_trunk: torch.Tensor, w_actor: torch.Tensor, w_critic: torch.Tensor,
    obs: torch.Tensor, returns: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return the gradients of actor_loss + critic_loss for (w_trunk, w_actor, w_critic).

    A shared trunk h = tanh(obs @ w_trunk) feeds both heads: the actor's logits
    h @ w_actor and the critic's values h @ w_critic. The trunk must learn from both.
    """
    w_trunk, w_actor, w_critic = (
        w.detach().clone().requires_grad_() for w in (w_trunk, w_actor, w_critic)
    )
    h = torch.tanh(obs @ w_trunk)
    # A stand-in policy loss (make action 0 likelier) and the usual value loss.
    actor_loss = -torch.log_softmax(h @ w_actor, dim=-1)[:, 0].mean()
    critic_loss = ((h @ w_critic - returns) ** 2).mean()
    # TODO: the first backward frees what tanh saved, and the second needs it.
    actor_loss.backward()
    critic_loss.backward()
    return w_trunk.grad, w_actor.grad, w_critic.grad

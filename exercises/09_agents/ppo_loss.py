"""The full PPO loss: clipped policy term, value term, entropy bonus.

PPO trains one network with two heads (or two networks) on one scalar:

    total = policy_loss + vf_coef * value_loss - ent_coef * entropy

- policy_loss: the clipped surrogate from chapter 8,
  -mean(min(ratio * A, clamp(ratio, 1 - eps, 1 + eps) * A)), with
  ratio = exp(new_log_probs - old_log_probs). CleanRL writes it as
  mean(max(-ratio * A, -clamp(...) * A)): the same loss, since
  -min(x, y) = max(-x, -y).
- value_loss: the critic's regression onto the GAE returns, here a plain
  mean((V - R)^2). (CleanRL puts an extra 0.5 in front; SB3 uses
  F.mse_loss like this exercise.) With `value_clip` given, a new value may
  not earn credit for moving further than value_clip from the old one:
      V_clipped = old_values + clamp(V - old_values, -value_clip, value_clip)
      value_loss = mean(max((V - R)^2, (V_clipped - R)^2))
  (the pessimistic max, as CleanRL; SB3 uses (V_clipped - R)^2 alone).
- entropy: the mean entropy of the policy over the batch. It is a BONUS:
  we want the policy to stay uncertain a while, so the loss SUBTRACTS it.
  Add it and gradient descent squeezes the policy deterministic early.

The three terms live on different scales (returns may be in the hundreds,
log-prob ratios near 1), so the coefficients are part of the loss, not a
detail: vf_coef scales the value term, ent_coef the entropy.

Everything that came from the rollout is a constant: old_log_probs,
advantages, returns, old_values. In CleanRL or SB3 they sit in a buffer
filled under no_grad, so nobody detaches them there. Here they may arrive
attached to a graph (advantages computed from the critic, say), and the loss
must detach them: otherwise the policy term pushes gradient into the critic
through A, or the value target chases itself. Advantage normalisation is
NOT done here (CleanRL and SB3 do it just before this loss; you wrote it in
the previous exercise).

Your job: detach what must be constant, then the value term, the entropy
bonus and the total.
"""

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
    """Return (total, policy_loss, value_loss, entropy), four 0-dim tensors.

    All inputs are (B,). entropy holds each sample's policy entropy; the fourth
    result is its mean. value_loss is before vf_coef. Any value_clip that is not
    None (0.0 included: it pins V_clipped to old_values) switches on the clipped
    value loss; it comes with old_values. The inputs are left untouched. The total
    carries the graph that backward() needs; the three parts are for the log, and may
    keep their graphs or come detached (both are accepted).
    """
    # TODO: advantages may arrive attached to a graph: they are constants here.
    ratio = torch.exp(new_log_probs - old_log_probs.detach())
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    policy_loss = -torch.min(unclipped, clipped).mean()
    # TODO: value_loss (plain, or clipped when value_clip is given), the mean
    # entropy, and the total.
    raise NotImplementedError("the value term, the entropy bonus and the total")

"""PPO's clipped surrogate loss.

PPO collects a batch with the current policy, remembers the log-probability
each action had then (`old_log_probs`), and takes several gradient steps on
that batch. To keep the policy from running away from the data it was
collected with, it compares new and old through the probability ratio

    ratio = pi_new(a|s) / pi_old(a|s) = exp(new_log_probs - old_log_probs)

and clips how much a step can gain from moving it:

    objective = min(ratio * A, clamp(ratio, 1 - eps, 1 + eps) * A)
    loss      = -objective.mean()

Think through what the min does. With A > 0 the action was good: raising
the ratio helps, but only up to 1 + eps; beyond that the clipped term wins
and the gradient is zero. With A < 0 lowering the ratio helps, but only down
to 1 - eps. On the other side (a good action made *less* likely), the
unclipped term is the smaller one, so the loss keeps its full gradient to
undo the mistake. Swap min for max and the clip lands on the wrong side.
(CleanRL writes torch.max(-ratio * A, -clamped * A).mean(): the max of the
negated terms is minus the min, so that is the same loss.)

`old_log_probs` are numbers from the past: no gradient may flow into them.
On the first epoch new and old are equal, and if old is still attached to
the graph, the ratio's gradient cancels to exactly zero: PPO learns nothing,
silently. Detach it (`.detach()`, a copy, not `.detach_()`, the caller's).
CleanRL and SB3 never detach here because their buffer was filled under
no_grad; this function may receive attached tensors. They also normalise
the advantages right before the loss; here they arrive ready to use.

Before any update ratio = 1 everywhere, so the loss equals -A.mean(): a good
first thing to check in a PPO implementation.

The conventions, settled: the loss is the negated objective (a number to
minimise), averaged over the batch with `.mean()` (not a sum); the clip
bounds the ratio, never the advantage; this function returns the loss alone
(PPO's approx-KL diagnostic is not part of it). Log-probs of rare actions are
very negative (-200 is legal), so form the ratio from their difference:
exp(-200) is 0 in float32, and exp(new) / exp(old) would be 0 / 0. Any batch
size B >= 1, float32 or float64, on any device: the loss is a 0-d tensor in
the inputs' dtype and on their device, and its gradient reaches
`new_log_probs` through both terms of the min.

Your job: finish the loss.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def ppo_clip_loss(
    new_log_probs: torch.Tensor,
    old_log_probs: torch.Tensor,
    advantages: torch.Tensor,
    clip_eps: float = 0.2,
) -> torch.Tensor:
    """Return PPO's clipped surrogate loss, a scalar. All three inputs are (B,)."""
    ratio = torch.exp(new_log_probs - old_log_probs)  # TODO: old log-probs are constants
    unclipped = ratio * advantages
    # TODO: the clipped term, the elementwise min of the two, and the loss to minimise.
    raise NotImplementedError(f"clip the ratio of {unclipped.shape[0]} samples")

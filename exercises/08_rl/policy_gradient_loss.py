"""The policy-gradient loss: -(log pi(a|s) * A).mean(), with A detached.

The policy-gradient theorem says: to make good actions more likely, step the
policy's parameters along  A * grad log pi(a | s),  where A (the advantage)
says how much better the action turned out than expected. Positive A: make
the action more likely. Negative A: less likely.

Optimizers *minimise*, so the loss is the negative of that objective,

    loss = -(log_probs * advantages).mean()

and two things go wrong silently, with no error at all:

- The sign. Drop the minus and gradient descent makes good actions *less*
  likely: the agent unlearns, and the loss curve looks perfectly healthy.
- The advantage is often computed from a critic (A = G - V(s)), so it is
  attached to the critic's graph. In the policy loss it is a weight, not
  something to optimise: `.detach()` it. Otherwise this loss also pushes
  the critic, in the direction that makes advantages large. CleanRL and
  SB3 never detach here because their advantages come out of a buffer
  filled under no_grad; this function may receive attached tensors. Detach
  a copy (`.detach()`), not the caller's tensor (`.detach_()`), and do not
  normalise the advantages here: those libraries do that in the loop.

Your job: fix the loss.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def policy_gradient_loss(log_probs: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    """Return the scalar loss whose minimisation raises log pi for actions with A > 0.

    log_probs: (B,) log pi(a_i | s_i), attached to the policy's graph.
    advantages: (B,) advantages, possibly attached to a critic's graph.
    """
    # TODO: which way should the loss point, and should a gradient reach the advantages?
    return (log_probs * advantages).mean()

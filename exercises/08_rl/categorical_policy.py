"""torch.distributions.Categorical, and a policy trained with cross-entropy.

Writing softmax, multinomial and gather by hand (the previous exercise) is
worth doing once. Day to day, `torch.distributions.Categorical` packages
them: `dist = Categorical(logits=logits)` for (B, n_actions) logits gives

- `dist.sample()`: one action per row, shape (B,);
- `dist.log_prob(actions)`: log pi(a | s) per row, shape (B,), computed stably;
- `dist.entropy()`: how spread out each row's distribution is, shape (B,).
  It is log(n_actions) for a uniform policy and 0 for a certain one. Policy
  gradient and PPO add an entropy bonus to the loss to keep exploring.

Trap: the first positional argument of Categorical is `probs`, not
`logits`. `Categorical(logits)` treats your raw scores as probabilities.
Always name it: `Categorical(logits=logits)`.

The same log-probability is what classification trains. Behaviour cloning
(imitating an expert's actions) minimises the cross-entropy
`F.cross_entropy(logits, actions)`, which is the same quantity as
`-Categorical(logits=logits).log_prob(actions).mean()` (equal up to float
rounding: the two compute it in a different order). Note that
`F.cross_entropy` wants the raw logits: it applies log_softmax itself. No
entropy bonus here: that belongs to policy-gradient losses (A2C, PPO), not to
imitating an expert.

Your job: fill in `policy_stats` with Categorical, and fix the loss in
`behaviour_cloning_step`.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical  # noqa: F401  (you will need it)


def policy_stats(logits: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (log_probs, entropy) of the policy given by `logits`, both (B,)."""
    # TODO: build a Categorical from the logits and return its log_prob of
    # `actions` and its entropy.
    raise NotImplementedError("build the distribution and read log_prob and entropy off it")


def behaviour_cloning_step(
    policy: nn.Module, optimizer: torch.optim.Optimizer, obs: torch.Tensor, actions: torch.Tensor
) -> float:
    """One gradient step that makes `policy` more likely to take `actions` in `obs`.

    `policy` maps (B, obs_dim) observations to (B, n_actions) logits; `actions`
    is a (B,) int64 tensor. Return the loss before the step, as a float.
    """
    logits = policy(obs)
    # TODO: cross_entropy already applies log_softmax; what should it be given?
    loss = F.cross_entropy(torch.softmax(logits, dim=-1), actions)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()

"""The PPO update: epochs of shuffled minibatches, clipped gradients, a KL brake.

After a rollout (T steps of N envs, flattened to B = T * N samples, each
with the log-probability its action had when it was taken, its advantage
and its return), PPO squeezes several gradient steps out of the same data:

    for each epoch:
        shuffle all B indices (a new permutation every epoch)
        for each slice of minibatch_size indices (the last may be smaller):
            evaluate the CURRENT policy on those samples
            loss -> zero_grad -> backward -> clip_grad_norm_ -> step

Why shuffle? Consecutive samples come from the same env a step apart and
look alike; a minibatch of them pulls the network one way. A fresh
permutation each epoch also means each sample meets different company.
Every sample is used exactly once per epoch.

The ratio in the loss compares the policy now with the policy that acted:
its log-probs are `rollout.log_probs`, stored in the rollout. Recomputing
"old" log-probs from the current network at the start of the update looks
harmless in the first minibatch and is wrong from then on: the ratio
measures nothing and the clip never bites.

`clip_grad_norm_(agent.parameters(), max_grad_norm)` rescales all the
gradients together when their global norm is too large. It works on the
gradients in `.grad`, so it must come after backward() and before step().

The KL brake: the further the policy drifts from the one that collected the
data, the less the data says about it. After each minibatch's forward pass,
estimate the KL divergence between old and new policy from the log-probs
you already have, without grad, with the low-variance estimator

    log_ratio = new_log_probs - old_log_probs
    approx_kl = ((log_ratio.exp() - 1) - log_ratio).mean()

and if target_kl is set and approx_kl > target_kl, stop the WHOLE update at
once: no backward or step on this minibatch, no further minibatches, no
further epochs. The threshold is target_kl itself. (CleanRL computes the
same estimate but only checks it at the end of each epoch; SB3 stops at
once, as here, but only when approx_kl passes 1.5 * target_kl.)

Randomness comes from the `generator` you are given, never the global RNG,
so that an update can be replayed: each epoch's order is exactly
torch.randperm(size, generator=generator), and nothing else draws from it
(another way to shuffle is random too, but would not replay the same update). Advantages are used as stored here
(CleanRL and SB3 would normalise each minibatch's advantages first).

Your job: the loop. The agent, the rollout record and the loss are given.
"""

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
    """Run PPO's epochs over the rollout; return how many optimizer steps were taken (an int).

    Minibatches: agent.evaluate(rollout.obs[idx], rollout.actions[idx]) gives the new
    log-probs, entropies and values; ppo_loss turns them into the loss.
    """
    size = rollout.obs.shape[0]
    steps = 0
    # TODO: for each epoch, a fresh permutation of range(size) drawn with `generator`;
    # for each slice of it: evaluate, approx KL (stop everything if over target_kl),
    # loss, zero_grad, backward, clip_grad_norm_, step, count the step.
    raise NotImplementedError(f"the update loop over {size} samples")
    return steps

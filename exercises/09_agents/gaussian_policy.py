"""Continuous actions: a Gaussian policy with a learned log-std.

A torque, a steering angle, a throttle: continuous actions cannot be listed
and scored one by one like CartPole's left and right. Instead the policy
outputs a distribution over real vectors, most often a diagonal Gaussian. A
network maps the observation to the mean, one number per action dimension;
the spread is a learned vector `log_std`, one per action dimension, the same
for every state (PPO's usual choice, in CleanRL and SB3 alike).

Why learn log-std rather than std? A standard deviation must stay positive;
its log can be any real number, so the optimizer can move it freely. The
distribution then needs std = log_std.exp(). Handing `log_std` itself to
`Normal` as the scale is the classic slip: a negative scale is an error, a
positive one is silently the wrong spread.

`Normal(mean, std)` with mean (B, A) treats the A dimensions as A separate
one-dimensional Gaussians, so `log_prob(actions)` is (B, A): one log-density
per dimension. The action is ONE event whose dimensions are independent, so
its log-probability is the SUM over the last dimension: (B,). Left at (B, A),
PPO's ratio exp(new - old) becomes one ratio per dimension and the loss is no
longer the one you meant, often without any error. The same holds for the
entropy: sum over the action dimensions.

Two ways to draw an action. `sample()` draws without a graph: right for
collecting a rollout (PPO recomputes the log-prob of the stored action later,
with grad). `rsample()` draws mean + std * noise with the noise drawn
separately, so the action is a differentiable function of mean and log_std
(the reparameterisation trick): what SAC's actor loss needs, since its
gradient flows through the action into the critic. Both draw from PyTorch's
global random stream, as Normal's own sample() and rsample() do, and in the
policy's dtype and device: torch.manual_seed replays them.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch
from torch import nn
from torch.distributions import Normal  # noqa: F401  (the distribution to build)


class GaussianPolicy(nn.Module):
    """A diagonal Gaussian policy: state-dependent mean, state-independent learned log-std."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.mean_net = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, act_dim)
        )
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def distribution(self, obs: torch.Tensor) -> Normal:
        """The Gaussian over actions for a (B, obs_dim) batch: mean and std are (B, act_dim)."""
        # TODO: mean from mean_net, std from log_std.
        raise NotImplementedError("build the Normal distribution")

    def log_prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """log pi(actions | obs) for (B, act_dim) actions: shape (B,), with grad."""
        # TODO: one log-probability per action, not per action dimension.
        return self.distribution(obs).log_prob(actions)

    def entropy(self, obs: torch.Tensor) -> torch.Tensor:
        """The policy's entropy at each observation: shape (B,), with grad."""
        # TODO
        raise NotImplementedError("the entropy, one number per observation")

    def sample(self, obs: torch.Tensor) -> torch.Tensor:
        """A (B, act_dim) action for a rollout: no graph."""
        # TODO
        raise NotImplementedError("draw an action without grad")

    def rsample(self, obs: torch.Tensor) -> torch.Tensor:
        """A (B, act_dim) action that gradients flow through (reparameterised)."""
        # TODO
        raise NotImplementedError("draw a reparameterised action")

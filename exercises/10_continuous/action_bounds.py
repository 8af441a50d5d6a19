"""From tanh's (-1, 1) to the environment's bounds, and what that does to log pi.

A squashed Gaussian policy acts in (-1, 1): a = tanh(u). Real environments
have their own limits. Pendulum-v1 takes one torque in [-2, 2]; a robot arm
may take a joint angle in [0, 3]. The usual fix is an affine map per action
dimension, from (-1, 1) onto (low, high):

    scale = (high - low) / 2        bias = (high + low) / 2
    env_action = a * scale + bias    and back:    a = (env_action - bias) / scale

so a = -1 lands on `low`, a = 1 on `high` and a = 0 on the middle of the box.
An agent that forgets the map still runs, but it only ever pushes with half
of Pendulum's strength (and never leaves (-1, 1) on a box like [0, 3]).

The map also changes the log-density. Stretching an interval by `scale`
spreads the same probability over a longer stretch, so every density drops
by that factor: for each action dimension

    log pi(env_action) = log pi(a) - log(scale)

and, since log pi is a sum over the action dimensions (one number per
action), the whole correction is minus the SUM of log(scale) over them.
It is the same change of variables as tanh's correction, for a map whose
slope is a constant. With Pendulum's scale of 2 that is -log 2 per action;
with bounds [-1, 1] the scale is 1 and the term vanishes, which is why a
forgotten term goes unnoticed until the bounds change. SAC needs it wherever
log pi enters: the entropy bonus, the actor loss, the temperature loss.
(CleanRL folds it into the tanh correction, log(scale * (1 - a^2) + 1e-6);
SB3 keeps its critics in (-1, 1) and maps only when it steps the env.)

Contract for all three functions: `low` and `high` are (A,) tensors in the
actions' dtype with low < high; actions are (B, A); log pi is (B,). Return new
tensors in the inputs' dtype, keep the graph (gradients flow through), and
never change the caller's tensors.
"""

import torch


def to_env(a: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Map actions a in [-1, 1] (B, A) onto the box [low, high]: (B, A)."""
    # TODO: a * scale + bias, with scale and bias from low and high.
    raise NotImplementedError("to_env: scale the action into [low, high]")


def from_env(action: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Map env actions in [low, high] (B, A) back to [-1, 1]: the inverse of to_env."""
    # TODO: undo to_env.
    raise NotImplementedError("from_env: map the env action back into [-1, 1]")


def env_log_prob(log_pi: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """log pi of to_env(a), given log pi (B,) of the squashed action a: (B,)."""
    # TODO: the change of variables for a map with a constant slope.
    return log_pi

"""Stopping gradients: no_grad, inference_mode, detach.

A TD update moves the value estimate V(s) towards a target built from the
next state: target = reward + gamma * V(s'). Both sides use the same weights
w. If the target stays attached to the graph, backward also pushes V(s')
towards V(s): the network chases its own tail instead of learning from the
reward. The target must be a fixed number as far as autograd is concerned.

Three tools stop autograd, and they stop different things:
- `t.detach()` returns the same numbers as a new tensor cut off from the
  graph. Everything computed before it is left as it was.
- `with torch.no_grad():` records nothing for what is computed inside the
  block: results there have no grad_fn. Code after the block records again.
- `with torch.inference_mode():` is no_grad made stricter and faster: its
  results can never take part in autograd later, so use it for acting in the
  environment or evaluating, not for a tensor that enters a loss that
  saves it.

A tensor still attached to the graph shows it: it has a `grad_fn` and
`requires_grad` is True.

Why RL cares: every TD method (DQN, SAC's critics, actor-critic's value
head) needs stop-gradient targets. A target that carries grad_fn trains
without any error and quietly learns the wrong thing.

Your job: make `td_target` return the target cut off from the graph, then
answer the question at the bottom. `td_loss` uses it and is already right.
"""

import torch


def td_target(
    w: torch.Tensor, reward: torch.Tensor, next_obs: torch.Tensor, gamma: float
) -> torch.Tensor:
    """The TD(0) target reward + gamma * V(next_obs), with V(s) = s @ w, cut from the graph.

    w is (D,) and requires grad; reward is (B,) and next_obs is (B, D), plain data
    that does not. Returns (B,), in w's dtype and on its device.
    (Episode ends are left out to keep the idea alone.)
    """
    # TODO: autograd must not see this computation; the target is a fixed number.
    return reward + gamma * (next_obs @ w)


def td_loss(
    w: torch.Tensor, obs: torch.Tensor, reward: torch.Tensor, next_obs: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """Mean squared TD error: the prediction V(obs) learns, the target does not."""
    prediction = obs @ w
    target = td_target(w, reward, next_obs, gamma)
    return ((prediction - target) ** 2).mean()


# A DQN update computes the prediction, the target and the loss all inside one
# `with torch.no_grad():` block, then calls loss.backward() after it. What
# happens?
#   "a": it trains normally; no_grad only affects the target
#   "b": backward() raises an error: nothing in the block was recorded, so the
#        loss has no graph to go back through
#   "c": it runs, but every gradient is zero
ANSWER = None  # TODO: one of "a", "b", "c"

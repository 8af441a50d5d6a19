"""The SAC actor's update: a reparameterised action, judged by the smaller critic.

The critics say how good an action is; the actor wants actions they rate
highly, while keeping some randomness (entropy). Its loss, averaged over a
batch of states s from the replay buffer, is

    loss = mean( alpha * log pi(a|s) - min(Q1(s, a), Q2(s, a)) ),   a ~ pi(.|s) drawn now

Three things make or break it.

1. The action must be reparameterised. The gradient of the loss reaches the
   actor mostly THROUGH the action: move the mean a little, the action moves,
   the critics' value changes. `rsample()` draws u = mean + std * noise, so
   that path exists; `sample()` draws the same kind of number with no graph
   behind it, and the only gradient left is the one through log pi. The code
   runs, the loss goes down, and the actor never learns what the critics like.

2. The smaller of the two critics, elementwise, as in the critic target:
   each critic overestimates somewhere, and the actor is an optimiser that
   will find those places. The max hands it every overestimate of both.

3. This step trains the actor only. The critics' weights must not move, and
   the gradient of this loss must not land in their `.grad` either: a loop
   that zeroes the critics' gradients at the top of their own step gets away
   with it, but one that accumulates gradients, clips them from `.grad`, or
   runs its steps in another order trains the critics on the actor's loss.
   Ask autograd for the actor's gradients only (`loss.backward(inputs=...)`
   with the actor's parameters, or `torch.autograd.grad`), or freeze the
   critics (`requires_grad_(False)`) and afterwards give each parameter
   back the flag it had. (Spinning Up sets them all back to True, right only
   when every critic parameter trains; a critic may hold a frozen parameter
   of its own.) alpha is a constant here too: it may arrive as
   `log_alpha.exp()`, a tensor with a graph, and the actor's step must leave
   log_alpha's gradient alone (`float(alpha)` or `alpha.detach()`).

`actor(obs)` returns (mean, log_std), each (B, A); `squash(u, mean, log_std)`
(given below, chapter 9's tanh correction) turns a pre-squash sample u into
(action in (-1, 1), log pi of it (B,)). Each critic maps (obs, action) to
(B,). `optimizer` holds the actor's parameters, all of them trainable.
Return the loss as a Python float. The critics (weights, `.grad`,
requires_grad), alpha and obs must come out exactly as they went in.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal


def squash(u: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor):
    """(tanh(u), log pi(tanh(u)) summed over the action dims (B,)); given."""
    log_pi = Normal(mean, log_std.exp()).log_prob(u) - 2 * (math.log(2) - u - F.softplus(-2 * u))
    return torch.tanh(u), log_pi.sum(dim=-1)


def sac_actor_step(
    actor: nn.Module,
    q1: nn.Module,
    q2: nn.Module,
    optimizer: torch.optim.Optimizer,
    obs: torch.Tensor,
    alpha: float | torch.Tensor,
) -> float:
    """One optimizer step of the actor on mean(alpha * log pi - min(Q1, Q2)); the loss as a float."""
    mean, log_std = actor(obs)
    # TODO: draw u so that gradients flow through it, squash it, take the smaller
    # critic value of that action, and average alpha * log pi - Q over the batch.
    loss = ...
    if loss is ...:
        raise NotImplementedError("sac_actor_step: the action, the critics' value, the loss")
    optimizer.zero_grad()
    # TODO: a backward pass that leaves the critics' .grad (and alpha's) alone.
    loss.backward()
    optimizer.step()
    return loss.item()

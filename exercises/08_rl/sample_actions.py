"""Sampling actions from policy logits, and their log-probabilities.

A policy network for discrete actions outputs *logits*: one unnormalised
score per action, a (B, n_actions) tensor for a batch of B states, of any
size (a confident policy's logits run into the hundreds). Softmax turns a
row of logits into probabilities, and `torch.multinomial(probs, 1)`
draws one action index per row. It returns a (B, 1) tensor; an action per
state is a (B,) tensor, so the last dimension has to go.

Policy-gradient methods then need log pi(a | s), the log-probability of the
action actually taken. Two traps live here:

- `torch.log(torch.softmax(logits, -1))` is mathematically right and
  numerically wrong: when a probability underflows to 0 in float32 its log
  is -inf, and one -inf turns the loss into inf or NaN. `torch.log_softmax`
  computes the same thing stably.
- `gather(-1, actions.unsqueeze(-1))` picks each row's entry but keeps a
  (B, 1) shape. Multiply that by a (B,) advantage and PyTorch broadcasts to a
  (B, B) matrix without a word, so the loss silently mixes every state with
  every other. Log-probs must come back as (B,).

Your job: finish both functions. Draw randomness only from `generator`
(`Categorical(...).sample()`, the usual way in CleanRL and SB3, takes no
generator: it draws from torch's global RNG, so it cannot be used here).
Any correct way of drawing from it is accepted (multinomial, inverse CDF,
Gumbel-max): what is judged is that the actions follow the softmax
probabilities, that the same seed gives the same actions, and that the next
call goes on along the stream instead of starting it again.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def sample_actions(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Sample one action per row of `logits` (B, n_actions): a (B,) int64 tensor."""
    probs = torch.softmax(logits, dim=-1)
    # TODO: draw one action per row from probs with torch.multinomial (pass the
    # generator) and return it with shape (B,), not (B, 1).
    raise NotImplementedError("sample one action per row of the probabilities")


def action_log_probs(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Return log pi(actions[i] | state i) for each row: a (B,) float tensor.

    The result must stay connected to `logits` (no detach): the policy
    gradient flows back through it.
    """
    log_probs = torch.log(torch.softmax(logits, dim=-1))  # TODO: underflows to -inf
    # TODO: pick each row's entry for its action with gather, as a (B,) tensor.
    raise NotImplementedError("pick the log-probability of each row's action")

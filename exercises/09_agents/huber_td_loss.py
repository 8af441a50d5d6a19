"""DQN's TD loss, the way many working DQNs write it: Huber, not squared.

In chapter 8 the DQN update pulled Q(s, a) toward its target with a squared
error. The gradient of (q - y)^2 is 2 (q - y): it grows with the TD error. Early
in training, or after a rare large reward, a few transitions have TD errors of
tens or hundreds, and their gradient swamps the batch: one step jumps the
network far away. The Huber loss (PyTorch: `F.smooth_l1_loss`) is squared for
small errors and linear for large ones,

    huber(d) = 0.5 * d^2          if |d| < 1
               |d| - 0.5          otherwise,

so its gradient is d near zero and never more than 1 in size: a wild target
nudges the network, it does not throw it. Use the default beta = 1 and the
default mean over the batch.

Two details from the previous chapter still hold. Q(s, a) is the entry of each
row of `q_values` (B, n_actions) at the action taken: gather along dim 1, the
actions, then squeeze to (B,). And the target is a constant: callers may hand
you `targets` still attached to the network that computed them, so cut it
here with `.detach()`, or the loss would also push the target toward Q.

Where you will meet this next: Stable-Baselines3's DQN and the PyTorch DQN
tutorial both use exactly this Huber loss and then clip gradients (SB3 by
norm 10, the tutorial by value 100). Not every DQN does: CleanRL's dqn.py
keeps the squared error (F.mse_loss), and Huber is one common choice, not
the only working one. Clipping is the optimizer step's business;
this function returns the loss only, unclipped.
"""

import torch
import torch.nn.functional as F  # noqa: F401  (F.smooth_l1_loss)


def huber_td_loss(
    q_values: torch.Tensor, actions: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """The mean Huber loss between Q(s, a) and the (detached) targets: a 0-d tensor.

    q_values: (B, n_actions) from the online network, with grad.
    actions: (B,) int64, the action taken in each row.
    targets: (B,), r + gamma * (1 - done) * next value; may still carry grad.
    targets come in q_values' dtype (float32 or float64); mixing dtypes is outside
    this exercise (F.smooth_l1_loss would promote to the wider, F.huber_loss would not).
    Returns a 0-d tensor in q_values' dtype whose gradient reaches q_values only.
    """
    q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1)
    # TODO: the Huber loss (F.smooth_l1_loss) instead of the squared error, with the
    # target cut from the graph.
    return ((q_taken - targets) ** 2).mean()

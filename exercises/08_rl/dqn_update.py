"""One DQN update step.

A Q-network maps a batch of observations (B, obs_dim) to Q-values
(B, n_actions): for every state, one value per action. A DQN update takes a
batch of stored transitions (s, a, r, s', done) and does three things.

1. Q(s, a) for the action actually taken. `q_values[i, actions[i]]` for
   every row i is `q_values.gather(1, actions.unsqueeze(1))`: gather picks,
   along dim 1 (the actions), the column each row asks for. The result is
   (B, 1); squeeze it to (B,).
2. The target y = r + gamma * (1 - done) * max_a' Q_target(s', a'), from the
   *target* network (a slowly updated copy, see the previous exercise), the
   max taken over dim 1, the actions, for each state. `max(dim=0)` would take
   the best state per action instead: a different thing with a similar
   shape. All of this under `torch.no_grad()`: the target is a constant.
3. Mean-squared error between Q(s, a) and y, and one optimizer step on the
   online network.

If you know SB3's DQN or the PyTorch DQN tutorial: they use the Huber loss
(smooth_l1_loss) and clip gradients; this exercise asks for the plain MSE
and no clipping. `dones[t]` = 1 marks the transition that ENDED its episode
(CleanRL's `next_done` and SB3's `episode_starts` flag the first step of the
next episode instead), and rewards and dones are (B,), not SB3's (B, 1).
The target network keeps requires_grad on here, as in those libraries, so
no_grad is what keeps it out of the graph.

Your job: the two lines that carry the idea, Q(s, a) and the target's max.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors. Both
networks go back in the train/eval mode they came in.
"""

import torch
import torch.nn.functional as F
from torch import nn


def dqn_update(
    online: nn.Module,
    target: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, ...],
    gamma: float,
) -> float:
    """One gradient step on the online Q-network; return the loss (a float).

    batch = (obs, actions, rewards, next_obs, dones) with shapes
    (B, obs_dim), (B,) int64, (B,), (B, obs_dim), (B,) float 0.0 / 1.0.
    """
    obs, actions, rewards, next_obs, dones = batch
    q_values = online(obs)  # (B, n_actions)
    q_taken = ...  # TODO: the (B,) Q-values of the actions taken, picked with gather
    with torch.no_grad():
        next_q = ...  # TODO: the (B,) best next Q-values, from the TARGET network
        if q_taken is ... or next_q is ...:  # quiet once both are filled in
            raise NotImplementedError("fill in q_taken and next_q, the two TODO lines")
        targets = rewards + gamma * (1.0 - dones) * next_q
    loss = F.mse_loss(q_taken, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()

"""A loop that makes the loss go down.

Time to put the chapter together and write a training loop from scratch. The
task is the simplest one a Q-network ever faces: fit fixed targets. Given a
batch of observations `obs` (shape (B, obs_dim)) and the Q-values we want for
them, `target_q` (shape (B, n_actions)), adjust the network until
`model(obs)` is close to `target_q` in mean squared error.

You choose the optimizer and its learning rate (Adam with a learning rate
around 1e-2 is a good start for a small network), and you write the loop:
clear the gradients, forward, loss, backward, step, and log the loss as a
float. 100 updates are enough for the loss to drop to a small fraction of
where it started; if yours does not, the loop is wrong (or the learning rate
far off). The loss is plain MSE (F.mse_loss): Stable-Baselines3's DQN and the
PyTorch DQN tutorial use a Huber loss (smooth_l1_loss) instead, which is not
the one asked here.

Why RL cares: this is the inner loop of every value-based agent. DQN does
exactly this, except that its targets come from the Bellman equation and its
batches from a replay buffer. If a network cannot fit fixed targets, no RL
trick will save it; "can my loop overfit one batch?" is the first thing to
check when an agent does not learn.

The runner draws your loss curve.
"""

import torch  # noqa: F401 (you will need it)


def fit(model, obs, target_q, steps: int = 100) -> list[float]:
    """Train `model` so model(obs) approaches target_q; return the loss of every update.

    Makes exactly `steps` updates. The returned list has one Python float per
    update: the MSE loss computed before that update.
    """
    # TODO: make an optimizer for model's parameters, then write the loop.
    raise NotImplementedError("write the training loop")

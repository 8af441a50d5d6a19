"""A replay buffer: fixed capacity, overwrite the oldest, sample uniformly.

Off-policy agents such as DQN and SAC do not learn from each transition once
and throw it away. They store (obs, action, reward, next_obs, done) in a
replay buffer and train on random minibatches drawn from it. Random draws
break the strong correlation between consecutive steps of an episode, and
each transition gets reused many times.

The buffer has a fixed capacity, allocated up front as tensors. New
transitions are written at a moving position; once the buffer is full, the
position wraps around to the start (`% capacity`) and the oldest transition
is overwritten. Until then only the first `size` slots hold data, and the
rest are zeros that were never written. Sampling must draw indices from the
filled slots only: a zero observation with reward 0 looks like a perfectly
real transition, and the agent learns from it without complaint.

Sampling takes a `torch.Generator` so that an experiment controls its own
random stream: pass it to `torch.randint(..., generator=generator)`, and
leave torch's global random stream alone. (The check asks for uniform draws
with replacement from that generator, the same batches for the same seed, and
a fresh batch from each call, never a re-seeded generator; any uniform draw
from it will do, `torch.multinomial` as well as randint: it does not insist
on randint's exact stream.)

Why RL cares: early in training the buffer is mostly empty. Sampling from
the whole capacity would fill the first updates with fake transitions.
"""

import torch


class ReplayBuffer:
    def __init__(self, capacity: int, obs_dim: int) -> None:
        self.capacity = capacity
        self.obs = torch.zeros(capacity, obs_dim)
        self.actions = torch.zeros(capacity, dtype=torch.int64)
        self.rewards = torch.zeros(capacity)
        self.next_obs = torch.zeros(capacity, obs_dim)
        self.dones = torch.zeros(capacity)
        self.position = 0  # the slot the next transition is written to
        self.size = 0  # how many slots hold real transitions

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action: int, reward: float, next_obs, done: bool) -> None:
        """Store one transition, overwriting the oldest one once the buffer is full."""
        i = self.position
        self.obs[i] = torch.as_tensor(obs)
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = torch.as_tensor(next_obs)
        self.dones[i] = float(done)
        # TODO: move self.position on (wrapping around at capacity) and keep self.size right
        raise NotImplementedError("advance the write position and the size")

    def sample(self, batch_size: int, generator: torch.Generator):
        """A uniform random batch (with replacement) of stored transitions.

        Returns new tensors (obs, actions, rewards, next_obs, dones) with shapes
        (B, obs_dim), (B,) int64, (B,), (B, obs_dim), (B,), the others float32
        whatever dtype add() was given; a batch of one is still (1, ...). The
        caller may change them: the buffer must not change with them.
        """
        # TODO: this can pick slots that were never filled
        index = torch.randint(0, self.capacity, (batch_size,), generator=generator)
        return (self.obs[index], self.actions[index], self.rewards[index],
                self.next_obs[index], self.dones[index])

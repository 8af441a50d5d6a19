"""A replay buffer for continuous actions, sampled on a generator you are given.

Off-policy agents (DQN, SAC, TD3) learn from a replay buffer: every
transition (s, a, r, s', done) goes into a ring of fixed capacity, the
oldest overwritten once it is full, and each update draws a random minibatch
from it. You met one in the DQN capstone; this one is for continuous control,
and two of that buffer's habits are wrong here.

1. The actions. A discrete action is an index and was stored in an int64
   tensor. A continuous action is a vector of real numbers, (act_dim,) per
   step: stored in an integer tensor, a torque of 1.73 silently becomes 1
   and -0.4 becomes 0. Nothing raises, and the critic learns the value of
   actions that were never taken. Store everything as float32.

2. `done`. Gymnasium's step returns `terminated` (the episode truly ended:
   the pole fell, the goal was reached) and `truncated` (a time limit cut
   it). Only a termination means "no future reward", so the TD target stops
   bootstrapping there. A truncated state still has a future; storing
   `terminated or truncated` as done teaches the critics that the last state
   before every time limit is worth nothing. A step can be both (the goal
   reached on the time limit's last step); it still terminated, so done is
   1. Pendulum-v1 never terminates and is truncated every 200 steps, so
   there `done` is always 0.

Sampling draws `batch_size` indices uniformly, with replacement, from the
slots filled so far (a batch may be larger than the buffer), using ONLY the
`torch.Generator` passed in (e.g. `torch.randint(n, (batch_size,),
generator=generator)`; any uniform draw from it will do, `torch.multinomial`
too: the check does not insist on randint's exact stream): the same
generator state gives the same batch, and the global random stream is left
alone, so sampling does not shift the noise the agent explores with.

`add` receives what Gymnasium hands out: observations and actions as NumPy
arrays (any float dtype) or tensors, the reward as a float, terminated and
truncated as bools. It copies them in: changing the caller's arrays later
must not change the buffer. `sample` returns a tuple of new tensors
(obs (B, obs_dim), actions (B, act_dim), rewards (B,), next_obs (B, obs_dim),
dones (B,)), all float32, the dones 1.0 where the episode terminated; a
batch of one is still (1, ...), and the caller may change the batch without
changing the buffer.
"""

import torch


class ContinuousReplay:
    def __init__(self, capacity: int, obs_dim: int, act_dim: int) -> None:
        self.capacity = capacity
        self.obs = torch.zeros(capacity, obs_dim)
        self.actions = torch.zeros(capacity, act_dim, dtype=torch.long)  # TODO: as in DQN?
        self.rewards = torch.zeros(capacity)
        self.next_obs = torch.zeros(capacity, obs_dim)
        self.dones = torch.zeros(capacity)
        self.next_slot = 0  # where the next transition goes
        self.size = 0  # how many slots hold a transition

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action, reward: float, next_obs, terminated: bool, truncated: bool) -> None:
        """Store one transition, overwriting the oldest once the buffer is full."""
        # TODO: copy the transition into slot self.next_slot, as float32 tensors; which
        # flag is `done`? Then move next_slot on (wrapping around) and grow size.
        raise NotImplementedError("add: store the transition")

    def sample(self, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        """(obs, actions, rewards, next_obs, dones) of batch_size uniform draws, float32."""
        # TODO: batch_size indices drawn from the filled slots, on `generator` only.
        raise NotImplementedError("sample: draw a minibatch")

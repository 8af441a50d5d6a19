"""Check: a fixed-capacity replay buffer that overwrites the oldest and samples filled slots."""

from collections import Counter

import numpy as np
import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.replay import explain_replay, replay_session

OBS_DIM = 2
SAMPLE = (
    "sample(batch_size) returns batch_size rows of each field, drawn independently (with "
    "replacement) from the filled slots: index = torch.randint(0, len(self), (batch_size,), "
    "generator=generator), the same index for every field."
)


def _fill(buffer, numbers):
    """Transition k: obs (k, k), action k, reward k / 10, next_obs (k + .5, k + .5), done k odd."""
    for k in numbers:
        buffer.add(torch.full((OBS_DIM,), float(k)), k, k / 10, torch.full((OBS_DIM,), k + 0.5),
                   k % 2 == 1)


def _sampled(buffer, calls, batch_size, seed=0):
    """Draw many batches; return the transition numbers drawn (checking every field agrees)."""
    generator = torch.Generator().manual_seed(seed)
    drawn = []
    for _ in range(calls):
        batch = buffer.sample(batch_size, generator)
        expect(isinstance(batch, tuple) and len(batch) == 5,
               "sample should return a tuple (obs, actions, rewards, next_obs, dones).")
        obs, actions, rewards, next_obs, dones = batch
        expect_tensor(obs, name="sampled obs", shape=(batch_size, OBS_DIM), dtype=torch.float32,
                      concept=SAMPLE)
        expect_tensor(actions, name="sampled actions", shape=(batch_size,), dtype=torch.int64,
                      concept=SAMPLE)
        expect_tensor(rewards, name="sampled rewards", shape=(batch_size,), dtype=torch.float32,
                      concept=SAMPLE)
        expect_tensor(next_obs, name="sampled next_obs", shape=(batch_size, OBS_DIM),
                      concept=SAMPLE)
        expect_tensor(dones, name="sampled dones", shape=(batch_size,),
                      concept=SAMPLE)
        ks = obs[:, 0].round().long()
        empty = int((ks == 0).sum())
        expect(empty == 0,
               f"sample returned {empty} transition(s) with an all-zero observation: slots that "
               f"were never written. With {len(buffer)} of {buffer.capacity} slots filled, either "
               "sample draws past them (draw indices from range(len(self)), not "
               "range(capacity)) or add wrote elsewhere (the n-th add goes to slot n - 1: the "
               "position starts at 0 and moves on by (position + 1) % capacity).")
        same = (actions == ks).all() and torch.allclose(rewards, ks / 10) and torch.allclose(
            next_obs[:, 0], ks + 0.5) and torch.equal(dones, (ks % 2).float())
        expect(same, "The fields of a sampled batch do not belong together: row i of obs, "
               "actions, rewards, next_obs and dones must come from the same transition. "
               "Index every field with the same index tensor.")
        drawn.extend(ks.tolist())
    return drawn


def test_length_grows_then_stays_at_capacity(exercise):
    """len() counts the stored transitions and never exceeds the capacity."""
    buffer = exercise.ReplayBuffer(capacity=5, obs_dim=OBS_DIM)
    lengths = []
    for k in range(1, 9):
        _fill(buffer, [k])
        lengths.append(len(buffer))
    expect(lengths == [1, 2, 3, 4, 5, 5, 5, 5],
           f"After adding 1, 2, ..., 8 transitions to a buffer of capacity 5, len() was "
           f"{lengths}; expected [1, 2, 3, 4, 5, 5, 5, 5].")


def test_never_samples_empty_slots(exercise):
    """With 3 of 10 slots filled, only those 3 transitions are ever sampled."""
    buffer = exercise.ReplayBuffer(capacity=10, obs_dim=OBS_DIM)
    _fill(buffer, [1, 2, 3])
    draws = _sampled(buffer, calls=200, batch_size=3)
    batches = {tuple(draws[i:i + 3]) for i in range(0, len(draws), 3)}
    expect(len(batches) > 1, "200 calls of sample with one generator drew the very same batch "
           f"every time ({list(batches)[0]}): each call must go on along the generator's stream "
           "(never re-seed it, or make a new generator from its seed, inside sample).")
    drawn = set(draws)
    expect(drawn == {1, 2, 3}, f"Sampling drew transitions {sorted(drawn)}; the buffer holds "
           "1, 2 and 3, and each should turn up.")


def test_overwrites_the_oldest(exercise):
    """Adding 8 transitions to a buffer of 5 keeps the newest 5 (4 to 8)."""
    buffer = exercise.ReplayBuffer(capacity=5, obs_dim=OBS_DIM)
    _fill(buffer, range(1, 9))
    drawn = set(_sampled(buffer, calls=200, batch_size=5))
    expect(drawn == {4, 5, 6, 7, 8},
           f"After adding transitions 1 to 8 to a buffer of capacity 5, sampling drew "
           f"{sorted(drawn)}; it should hold exactly the newest five, 4 to 8. Once the buffer "
           "is full the write position wraps around to 0 ((position + 1) % capacity), so the "
           "oldest transition is the one replaced.")


def test_batch_larger_than_the_buffer(exercise):
    """A batch of 8 from 3 stored transitions: drawn with replacement, so repeats are fine."""
    buffer = exercise.ReplayBuffer(capacity=10, obs_dim=OBS_DIM)
    _fill(buffer, [1, 2, 3])
    drawn = _sampled(buffer, calls=20, batch_size=8)
    expect(set(drawn) == {1, 2, 3},
           f"Sampling 8 from 3 stored transitions drew {sorted(set(drawn))}; every draw should "
           "be one of 1, 2, 3. Draw each index independently (with replacement): "
           "torch.randint(0, len(self), (batch_size,), generator=generator). A permutation "
           "(randperm) cannot give more rows than the buffer holds.")


def test_samples_uniformly(exercise):
    """Each stored transition is drawn about equally often."""
    buffer = exercise.ReplayBuffer(capacity=8, obs_dim=OBS_DIM)
    _fill(buffer, range(1, 5))
    counts = Counter(_sampled(buffer, calls=1000, batch_size=4))
    total = sum(counts.values())
    shares = {k: counts[k] / total for k in range(1, 5)}
    # 4000 draws: a share's standard deviation is about 0.007, so 0.04 is far outside chance.
    expect(all(abs(share - 0.25) < 0.04 for share in shares.values()),
           "With 4 transitions stored, each should be drawn about 25% of the time; got "
           + ", ".join(f"{k}: {share:.1%}" for k, share in shares.items())
           + ". Draw indices uniformly from range(len(self)).")


def test_uses_the_generator(exercise):
    """Sampling draws from the generator it is given, not from torch's global one."""
    buffer = exercise.ReplayBuffer(capacity=10, obs_dim=OBS_DIM)
    _fill(buffer, range(1, 8))
    before = torch.get_rng_state()
    first = _sampled(buffer, calls=3, batch_size=6, seed=42)
    second = _sampled(buffer, calls=3, batch_size=6, seed=42)
    expect(torch.equal(before, torch.get_rng_state()) and first == second,
           "sample should take its randomness from the generator argument, so an experiment "
           "controls its own random stream: torch.randint(..., generator=generator). Two "
           "generators with the same seed must give the same batches"
           + ("" if first == second else " (they did not)")
           + ", and torch's global generator must be left alone.")
    expect(first[:6] != first[6:12],
           "Two calls of sample with the same generator drew the very same batch: each call "
           "must go on along the generator's stream (never re-seed it inside sample).")


# The contract: any capacity and obs_dim, many wraps, a batch of one, NumPy float64 inputs.
# Sampling may use any uniform draw from the generator (randint, multinomial, scaled rand...),
# so a batch is judged by what does not depend on the stream (testkit.replay): each row one
# transition the buffer holds now, whole, in the promised shapes and dtypes, new tensors,
# and a large batch drawing every held transition about equally often.

class _ReferenceBuffer:
    """The docstring's buffer, written once."""

    def __init__(self, capacity, obs_dim):
        self.capacity = capacity
        self.obs = torch.zeros(capacity, obs_dim)
        self.actions = torch.zeros(capacity, dtype=torch.int64)
        self.rewards = torch.zeros(capacity)
        self.next_obs = torch.zeros(capacity, obs_dim)
        self.dones = torch.zeros(capacity)
        self.position = self.size = 0

    def __len__(self):
        return self.size

    def add(self, obs, action, reward, next_obs, done):
        i = self.position
        self.obs[i], self.actions[i], self.rewards[i] = torch.as_tensor(obs), action, reward
        self.next_obs[i], self.dones[i] = torch.as_tensor(next_obs), float(done)
        self.position, self.size = (i + 1) % self.capacity, min(self.size + 1, self.capacity)

    def sample(self, batch_size, generator):
        index = torch.randint(0, self.size, (batch_size,), generator=generator)
        return (self.obs[index], self.actions[index], self.rewards[index],
                self.next_obs[index], self.dones[index])


FIELDS = ("obs", "actions", "rewards", "next_obs", "dones")


def _held(transitions):
    """The fields of these transitions as sample returns them: float32, actions int64."""
    return (torch.stack([torch.as_tensor(t[0]).float() for t in transitions]),
            torch.tensor([int(t[1]) for t in transitions]),
            torch.tensor([float(t[2]) for t in transitions]),
            torch.stack([torch.as_tensor(t[3]).float() for t in transitions]),
            torch.tensor([float(bool(t[4])) for t in transitions]))


def _session(buffer_class):
    def run(capacity, obs_dim, transitions, batch_size, seed):
        return replay_session(buffer_class(capacity, obs_dim), transitions, _held,
                              capacity=capacity, batch_size=batch_size, seed=seed)
    return run


def _explain_contract(case, got, want):
    explain_replay(case, got, want, names=FIELDS, concept=SAMPLE, dtypes=(
        "obs, rewards, next_obs and dones are float32 and actions int64, whatever dtype add() "
        "was given."))


def test_contract(exercise):
    """ReplayBuffer keeps its promise for any capacity and obs_dim, through several wraps,
    for a batch of one and batches larger than the buffer, with NumPy float64 inputs."""
    def inputs(draw):
        capacity, obs_dim = draw["capacity"], draw["obs_dim"]
        adds = {"part": (capacity + 1) // 2, "full": capacity, "wrapped": 2 * capacity + 2}
        transitions = []
        for _ in range(adds[draw["fill"]]):
            obs, next_obs = draw.randn(obs_dim), draw.randn(obs_dim)
            action, reward = int(draw.randint(6)), float(draw.randn(1))
            done = bool(draw.rand(1) < 0.5)
            if draw["inputs"] == "numpy float64":  # as Gymnasium hands them out
                obs, next_obs = obs.double().numpy(), next_obs.double().numpy()
                action, reward, done = np.int64(action), np.float64(reward), np.bool_(done)
            transitions.append((obs, action, reward, next_obs, done))
        stored = min(len(transitions), capacity)
        batch_size = 1 if draw["batch"] == "one" else stored + 3
        return Args(capacity, obs_dim, transitions, batch_size, draw.seed())
    check_contract(Contract(
        function="ReplayBuffer", call=_session(exercise.ReplayBuffer),
        reference=_session(_ReferenceBuffer), inputs=inputs,
        axes={"capacity": [1, 3, 8], "obs_dim": [1, 4], "fill": ["part", "full", "wrapped"],
              "batch": ["one", "more than stored"], "inputs": ["tensor", "numpy float64"]},
        diagnose=_explain_contract, concept=SAMPLE))

"""Check: a ring buffer of float transitions, done = terminated, sampled on the given generator."""

import re

import numpy as np
import torch

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import expect_py_int
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.replay import explain_replay, replay_session
from torchlings.checkapi.testkit.rl import expect_frequency

OBS, ACT = 3, 2
CONCEPT = (
    "Store every field as float32 (actions too: they are real numbers), done = terminated only, "
    "write at next_slot and wrap around at capacity; sample: idx = torch.randint(len(self), "
    "(batch_size,), generator=generator), then index each stored tensor with idx."
)
NAMES = ("obs", "actions", "rewards", "next_obs", "dones")


def _transition(k):
    """Transition number k: every field a function of k, so a row can be traced back to it."""
    obs = np.array([k, k + 0.25, -k], dtype=np.float64)
    action = np.array([0.37 * k - 1.0, 1.73 - 0.11 * k], dtype=np.float32)
    next_obs = obs + 0.5
    return obs, action, k + 1.25, next_obs  # a reward with a fraction, as Pendulum's are


def _fill(buffer, ks, terminated=False, truncated=False):
    for k in ks:
        obs, action, reward, next_obs = _transition(k)
        buffer.add(obs, action, reward, next_obs, terminated, truncated)


def _sample(buffer, size, seed):
    batch = buffer.sample(size, torch.Generator().manual_seed(seed))
    expect(isinstance(batch, (tuple, list)) and len(batch) == 5,
           "sample should return a tuple of five tensors (obs, actions, rewards, next_obs, "
           f"dones), not {type(batch).__name__}.\n" + CONCEPT)
    shapes = ((size, OBS), (size, ACT), (size,), (size, OBS), (size,))
    for name, tensor, shape in zip(NAMES, batch, shapes, strict=True):
        if name == "actions" and isinstance(tensor, torch.Tensor) and not tensor.is_floating_point():
            fail(f"The sampled actions are {tensor.dtype}: they were stored in an integer "
                 "tensor, as a discrete action index is. A continuous action is a real number; "
                 "an integer tensor cuts 1.73 to 1 and -0.4 to 0 without a word. Store the "
                 "actions as float32.\n" + CONCEPT)
        expect_tensor(tensor, name=f"the sampled {name}", shape=shape, dtype=torch.float32,
                      concept=CONCEPT)
    empty = int((batch[2] == 0).sum())  # every reward this check adds is at least 1.25
    expect(empty == 0, f"{empty} of {size} sampled rows are empty slots (reward 0, all "
           f"zeros) of a buffer holding {len(buffer)} transitions: draw indices below "
           "len(self), not below the capacity.\n" + CONCEPT)
    return batch


def _traced(batch):
    """The transition number behind each sampled row (rewards are k + 1.25)."""
    rewards = batch[2]
    if bool((rewards == rewards.round()).all()):
        fail(f"The sampled rewards {rewards.tolist()[:6]}... are whole numbers, but every reward "
             "added had a fraction (1.25, 2.25, ...): they went through an integer tensor. "
             "Rewards are real numbers too: store them as float32.\n" + CONCEPT)
    return [round(float(r) - 1.25) for r in rewards]


def test_actions_keep_their_fractions(exercise):
    """Actions such as 1.73 and -0.63 come back exactly, as float32."""
    buffer = exercise.ContinuousReplay(8, OBS, ACT)
    _fill(buffer, [0, 1, 2])
    batch = _sample(buffer, 16, seed=0)
    want = torch.stack([torch.as_tensor(_transition(k)[1]) for k in _traced(batch)])
    if torch.equal(batch[1], want.trunc()):
        fail("The sampled actions lost their fractions (1.73 came back as 1.0): they went "
             "through an integer tensor on the way. Store the actions as float32.\n" + CONCEPT)
    expect_tensor(batch[1], name="the sampled actions", values=want, concept=CONCEPT)


def test_rows_stay_together(exercise):
    """Every sampled row is one stored transition: obs, action, reward and next_obs together."""
    buffer = exercise.ContinuousReplay(16, OBS, ACT)
    _fill(buffer, range(6))
    batch = _sample(buffer, 40, seed=1)
    ks = _traced(batch)
    expect(all(0 <= k < 6 for k in ks),
           f"The sampled rewards {batch[2].tolist()[:8]}... include values never added: "
           "sample only the slots filled so far (the first len(self) of them).\n" + CONCEPT)
    for name, index in (("obs", 0), ("next_obs", 3)):
        want = torch.stack([torch.as_tensor(_transition(k)[index], dtype=torch.float32)
                            for k in ks])
        expect_tensor(batch[NAMES.index(name)], name=f"the sampled {name}", values=want,
                      concept="One index picks the same row of every stored tensor. " + CONCEPT)


def test_done_is_terminated_not_truncated(exercise):
    """A termination is stored as done = 1; a time-limit truncation as done = 0."""
    buffer = exercise.ContinuousReplay(8, OBS, ACT)
    _fill(buffer, [0], terminated=False, truncated=True)
    _fill(buffer, [1], terminated=True, truncated=False)
    _fill(buffer, [2], terminated=False, truncated=False)
    _fill(buffer, [3], terminated=np.True_, truncated=np.False_)  # as NumPy bools
    batch = _sample(buffer, 64, seed=2)
    ks = _traced(batch)
    expect(set(ks) == {0, 1, 2, 3}, f"64 draws from 4 transitions gave only {sorted(set(ks))}: "
           "sample every filled slot.\n" + CONCEPT)
    done_of = {k: float(d) for k, d in zip(ks, batch[4], strict=True)}
    if done_of[0] == 1.0:
        fail("A transition cut by the time limit (truncated = True, terminated = False) came "
             "back with done = 1. done is `terminated` only: the state after a truncation "
             "still has a future, and done = 1 would tell the critics it is worth nothing.\n"
             + CONCEPT)
    expect(done_of[1] == 1.0 and done_of[3] == 1.0,
           "A transition that terminated came back with done = 0: store float(terminated).\n"
           + CONCEPT)
    expect(done_of[2] == 0.0, "A transition that neither terminated nor was truncated came "
           "back with done = 1.\n" + CONCEPT)


def test_ring_overwrites_the_oldest(exercise):
    """With capacity 4, after 6 adds the buffer holds the last 4, each drawn about 1/4 of the time."""
    buffer = exercise.ContinuousReplay(4, OBS, ACT)
    _fill(buffer, range(6))
    size = expect_py_int(len(buffer), name="len(buffer) after 6 adds to a buffer of capacity 4",
                         concept=CONCEPT)
    expect(size == 4, f"len(buffer) is {size} after 6 adds to a buffer of capacity 4: it grows "
           "up to the capacity and stays there.\n" + CONCEPT)
    ks = _traced(_sample(buffer, 4000, seed=3))
    expect(set(ks) <= {2, 3, 4, 5}, f"Transitions {sorted(set(ks) - {2, 3, 4, 5})} were "
           "overwritten and should be gone: the 5th add goes into slot 0, the 6th into slot 1 "
           "(next_slot = (next_slot + 1) % capacity).\n" + CONCEPT)
    for k in (2, 3, 4, 5):
        expect_frequency(ks.count(k), 4000, 0.25, name=f"transition {k}",
                         concept="Draw uniformly from all filled slots. " + CONCEPT)


def test_only_filled_slots_and_length(exercise):
    """With 3 of 100 slots filled, len is 3 and only those 3 are sampled."""
    buffer = exercise.ContinuousReplay(100, OBS, ACT)
    expect(len(buffer) == 0, f"A new buffer has len {len(buffer)}, not 0.\n" + CONCEPT)
    _fill(buffer, [0, 1, 2])
    expect(len(buffer) == 3, f"After 3 adds len(buffer) is {len(buffer)}, not 3.\n" + CONCEPT)
    batch = _sample(buffer, 300, seed=4)
    ks = _traced(batch)
    for k in (0, 1, 2):
        expect_frequency(ks.count(k), 300, 1 / 3, name=f"transition {k}", concept=CONCEPT)


def test_sampling_uses_only_the_given_generator(exercise):
    """The same generator state gives the same batch; the global random stream is untouched."""
    buffer = exercise.ContinuousReplay(32, OBS, ACT)
    _fill(buffer, range(20))
    torch.manual_seed(123)
    expected_next = torch.rand(4)
    torch.manual_seed(123)
    first = _sample(buffer, 24, seed=5)
    expect(torch.equal(torch.rand(4), expected_next),
           "sample drew from torch's global random stream: it shifts the noise the agent "
           "explores with. Pass generator=generator to the call that draws the indices.\n"
           + CONCEPT)
    torch.manual_seed(999)
    again = _sample(buffer, 24, seed=5)
    for name, a, b in zip(NAMES, first, again, strict=True):
        expect_tensor(b, name=f"the {name} sampled again with a generator in the same state",
                      values=a, concept="The batch must depend on the generator only. "
                      + CONCEPT)
    other = _sample(buffer, 24, seed=6)
    expect(not torch.equal(other[2], first[2]),
           "Two generators seeded differently gave the same batch: draw the indices with "
           "the generator, not a fixed pattern.\n" + CONCEPT)


def test_inputs_are_copied_and_batches_are_fresh(exercise):
    """Changing the caller's arrays after add, or a sampled batch, leaves the buffer as it was."""
    buffer = exercise.ContinuousReplay(4, OBS, ACT)
    obs, action, reward, next_obs = _transition(1)
    buffer.add(obs, action, reward, next_obs, False, False)
    t_obs, t_action = torch.tensor([7.0, 8.0, 9.0], dtype=torch.float64), torch.tensor([0.5, -0.5])
    buffer.add(t_obs, t_action, 2.0, t_obs + 1, False, False)
    obs[:] = 100.0
    action[:] = 100.0
    next_obs[:] = 100.0
    t_obs.add_(100.0)
    t_action.add_(100.0)
    batch = _sample(buffer, 8, seed=7)
    expect(float(batch[0].abs().max()) < 50 and float(batch[1].abs().max()) < 50,
           "The buffer changed when the caller changed its own arrays after add: it kept "
           "references to them (torch.from_numpy / as_tensor without a copy, or the objects "
           "in a list). Copy the values in: write them into the buffer's own tensors.\n"
           + CONCEPT)
    for tensor in batch:
        tensor.mul_(0.0).add_(-55.0)
    again = _sample(buffer, 8, seed=7)
    expect(float(again[0].abs().max()) < 50,
           "Overwriting a sampled batch changed the buffer: sample returned views of the "
           "stored tensors. Index with a tensor of indices (a copy), not a slice.\n" + CONCEPT)
    one = _sample(buffer, 1, seed=8)
    expect_tensor(one[2], name="the rewards of a batch of one", shape=(1,), concept=CONCEPT)


# The contract: any capacity, obs and action dims (Pendulum's single action too), several
# wraps, a batch of one, NumPy arrays of any float dtype or tensors, every pair of flags
# (terminated and truncated may both be True). Sampling may use any uniform draw from the
# generator, so a batch is judged by what does not depend on the stream (testkit.replay).

class _ReferenceReplay:
    """The docstring's buffer, written once."""

    def __init__(self, capacity, obs_dim, act_dim):
        self.capacity = capacity
        self.fields = [torch.zeros(capacity, obs_dim), torch.zeros(capacity, act_dim),
                       torch.zeros(capacity), torch.zeros(capacity, obs_dim), torch.zeros(capacity)]
        self.next_slot = self.size = 0

    def __len__(self):
        return self.size

    def add(self, obs, action, reward, next_obs, terminated, truncated):
        for field, value in zip(self.fields, (obs, action, float(reward), next_obs,
                                              float(terminated)), strict=True):
            field[self.next_slot] = torch.as_tensor(value, dtype=torch.float32)
        self.next_slot = (self.next_slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size, generator):
        idx = torch.randint(self.size, (batch_size,), generator=generator)
        return tuple(field[idx] for field in self.fields)


def _held(transitions):
    """The fields of these transitions as sample returns them: float32, done = terminated."""
    def rows(i):
        return torch.stack([torch.as_tensor(t[i]).float() for t in transitions])
    return (rows(0), rows(1), torch.tensor([float(t[2]) for t in transitions]), rows(3),
            torch.tensor([float(bool(t[4])) for t in transitions]))


def _session(buffer_class):
    def run(capacity, obs_dim, act_dim, transitions, batch_size, seed):
        return replay_session(buffer_class(capacity, obs_dim, act_dim), transitions, _held,
                              capacity=capacity, batch_size=batch_size, seed=seed)
    return run


def _explain_contract(case, got, want):
    if re.search(r"\['batches'\]\[\d+\]\[4\] is ", case.problem):  # the dones' values
        fail(f"With {case.label}, some sampled dones differ from the terminated flag their "
             "transition was added with. done is `terminated` alone, whatever `truncated` "
             "says: a step can be both (the goal reached on the time limit's last step), and "
             "it still ended the episode, so float(terminated).\n" + CONCEPT)
    explain_replay(case, got, want, names=NAMES, concept=CONCEPT, dtypes=(
        "every field is float32 (the actions too), whatever dtype add() was given."))


FLAGS = ((False, False), (True, False), (False, True), (True, True))  # terminated, truncated


def test_contract(exercise):
    """ContinuousReplay keeps its promise for any capacity and dims, through several wraps, a
    batch of one, NumPy arrays of any float dtype or tensors, and both flags set at once."""
    def inputs(draw):
        capacity, (obs_dim, act_dim) = draw["capacity"], draw["dims"]
        adds = {"part": (capacity + 1) // 2, "full": capacity, "wrapped": 2 * capacity + 2}
        kind, first = draw["inputs"], draw.random.randrange(4)
        transitions = []
        for j in range(adds[draw["fill"]]):
            obs, next_obs = draw.randn(obs_dim), draw.randn(obs_dim)
            action = draw.randn(act_dim, scale=2.0)  # Pendulum's torques reach +-2
            terminated, truncated = FLAGS[(first + j) % 4]
            if kind == "tensor float64":
                obs, action, next_obs = obs.double(), action.double(), next_obs.double()
            else:
                dtype = {"numpy float64": np.float64, "numpy float16": np.float16}[kind]
                obs, next_obs = obs.numpy().astype(dtype), next_obs.numpy().astype(dtype)
                action = action.numpy()  # float32, as a policy's output
                terminated, truncated = np.bool_(terminated), np.bool_(truncated)
            transitions.append((obs, action, float(draw.randn(1)) - 8.0, next_obs, terminated,
                                truncated))
        stored = min(len(transitions), capacity)
        batch_size = 1 if draw["batch"] == "one" else stored + 3
        return Args(capacity, obs_dim, act_dim, transitions, batch_size, draw.seed())
    check_contract(Contract(
        function="ContinuousReplay", call=_session(exercise.ContinuousReplay),
        reference=_session(_ReferenceReplay), inputs=inputs,
        axes={"capacity": [1, 3, 8], "dims": [(3, 1), (1, 2)],  # (obs_dim, act_dim)
              "fill": ["part", "full", "wrapped"], "batch": ["one", "more than stored"],
              "inputs": ["numpy float64", "numpy float16", "tensor float64"]},
        diagnose=_explain_contract, concept=CONCEPT))

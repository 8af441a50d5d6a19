"""torchlings.checkapi.testkit.replay: buffers judged by what does not depend on the stream."""

import pytest
import torch

from torchlings.checkapi.failures import CheckFailure
from torchlings.checkapi.testkit.harness import Args, Case
from torchlings.checkapi.testkit.promise import compare
from torchlings.checkapi.testkit.replay import explain_replay, replay_session


class Ring:
    """A right buffer of (obs, reward); `draw` picks the indices, so tests vary only that."""

    def __init__(self, capacity, draw=None):
        self.capacity, self.size, self.slot = capacity, 0, 0
        self.obs, self.rewards = torch.zeros(capacity, 2), torch.zeros(capacity)
        self.draw = draw or (lambda n, b, g: torch.randint(n, (b,), generator=g))

    def __len__(self):
        return self.size

    def add(self, obs, reward):
        self.obs[self.slot], self.rewards[self.slot] = obs, reward
        self.slot, self.size = (self.slot + 1) % self.capacity, min(self.size + 1, self.capacity)

    def sample(self, batch_size, generator):
        index = self.draw(self.size, batch_size, generator)
        return self.obs[index], self.rewards[index]


def _held(transitions):
    return (torch.stack([t[0] for t in transitions]), torch.tensor([float(t[1]) for t in transitions]))


def _transitions():
    return [(torch.tensor([k, -k], dtype=torch.float32), k / 10) for k in range(1, 8)]


def _session(buffer, batch_size=3, capacity=3):
    return replay_session(buffer, _transitions(), _held, capacity=capacity, batch_size=batch_size,
                          seed=0)


def _differs(result, reference):
    return {key for key in reference if repr(result[key]) != repr(reference[key])}


def test_any_uniform_stream_gives_the_same_result():
    reference = _session(Ring(3))
    multinomial = _session(Ring(3, lambda n, b, g: torch.multinomial(
        torch.ones(n), b, replacement=True, generator=g)))
    assert reference["draws even"] is True and reference["rows not held"] == [0, 0, 0, 0]
    assert reference["len"] == [1, 2, 3, 3, 3, 3, 3]
    assert repr(multinomial) == repr(reference)


def test_each_mistake_shows_in_its_own_key():
    reference = _session(Ring(3))
    whole_capacity = Ring(10, lambda n, b, g: torch.randint(10, (b,), generator=g))
    assert "rows not held" in _differs(_session(whole_capacity, capacity=10),
                                       _session(Ring(10), capacity=10))
    biased = Ring(3, lambda n, b, g: (torch.rand(b, generator=g) * (n - 1)).round().long())
    assert _differs(_session(biased), reference) == {"draws even"}
    squeezed = Ring(3, lambda n, b, g: torch.randint(n, (b,), generator=g).squeeze())
    one = _session(squeezed, batch_size=1)
    assert one["batches"][0][0].shape == (2,)  # handed back as it is, for the harness to name


def test_a_buffer_that_keeps_the_callers_tensors_is_found():
    class Kept(Ring):
        """Keeps the caller's tensors themselves, which change when the caller reuses them."""

        def add(self, obs, reward):
            super().add(obs, reward)
            self.kept = getattr(self, "kept", {})
            self.kept[(self.slot - 1) % self.capacity] = obs

        def sample(self, batch_size, generator):
            index = self.draw(self.size, batch_size, generator)
            return torch.stack([self.kept[int(i)] for i in index]), self.rewards[index]

    assert _session(Kept(3))["rows not held"][0] > 0


def test_a_view_of_the_buffer_is_found():
    class Sliced(Ring):
        def sample(self, batch_size, generator):
            i = int(torch.randint(self.size, (1,), generator=generator))
            if batch_size == 1:
                return self.obs[i:i + 1], self.rewards[i:i + 1]
            return super().sample(batch_size, generator)

    assert _session(Sliced(3), batch_size=1)["shares buffer memory"][0] is True
    assert _session(Ring(3), batch_size=1)["shares buffer memory"] == [False] * 4


def _explanation(got, want, batch_size=3):
    case = Case("capacity=3", Args(3, _transitions(), batch_size, 0), {})
    case.problem = compare(got, want, lambda dtype: (1e-5, 1e-5), where="the result") or ""
    with pytest.raises(CheckFailure) as failure:
        explain_replay(case, got, want, names=("obs", "rewards"), dtypes="float32.", concept="C")
    return str(failure.value)


def test_explanations_name_the_mistake():
    want = _session(Ring(3))
    biased = Ring(3, lambda n, b, g: (torch.rand(b, generator=g) * (n - 1)).round().long())
    assert "far more often" in _explanation(_session(biased), want)
    permuted = Ring(3, lambda n, b, g: torch.randperm(n, generator=g)[:b])
    assert "randperm" in _explanation(_session(permuted), want)
    squeezed = Ring(3, lambda n, b, g: torch.randint(n, (b,), generator=g).squeeze())
    assert "batch of one" in _explanation(_session(squeezed, batch_size=1),
                                          _session(Ring(3), batch_size=1), batch_size=1)

"""testing.record_episode: what a capstone sends for the watch screen to replay, checked on the way in."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from torchlings.checkapi import testing
from torchlings.checkapi.episode import MAX_STEPS, Episode, make_episode
from torchlings.engine.result import CheckResult, Status


@pytest.fixture(autouse=True)
def no_episode_left_over():
    testing._episode.clear()
    yield
    testing._episode.clear()


def test_numpy_torch_and_plain_numbers_become_plain_floats():
    observations = [np.array([0.1, -0.2, 0.03, 0.0], dtype=np.float32), [0.2, 0.1, 0.0, 1.0]]
    testing.record_episode("CartPole-v1", observations, [np.int64(1)], [torch.tensor(1.0)])
    episode = testing.collected_episode()
    assert episode is not None and episode.env_id == "CartPole-v1"
    assert episode.actions == [[1.0]] and episode.rewards == [1.0]
    assert all(type(v) is float for obs in episode.observations for v in obs)
    assert episode.observations[0] == pytest.approx([0.1, -0.2, 0.03, 0.0])
    json.dumps(episode.to_dict(), allow_nan=False)  # plain JSON, no NaN


def test_a_vector_action_stays_a_vector():
    episode = make_episode("Pendulum-v1", [[1.0, 0.0, 0.0]] * 2,
                           [np.array([1.5], dtype=np.float32), torch.tensor([-2.0])], [-0.1, -0.2])
    assert episode.actions == [[1.5], [-2.0]]
    assert episode.steps == 2 and episode.total_return == pytest.approx(-0.3)


def test_the_latest_episode_replaces_an_earlier_one():
    testing.record_episode("CartPole-v1", [[0.0] * 4], [0], [1.0])
    testing.record_episode("CartPole-v1", [[0.0] * 4] * 2, [1, 1], [1.0, 1.0])
    assert testing.collected_episode().steps == 2


@pytest.mark.parametrize(("args", "error", "says"), [
    (("", [[0.0]], [0], [1.0]), ValueError, "gymnasium id"),
    (("Cart\x1b[2J", [[0.0]], [0], [1.0]), ValueError, "gymnasium id"),
    (("CartPole-v1", [[0.0]], [], []), ValueError, "at least one step"),
    (("CartPole-v1", [[0.0]], [0], [1.0, 1.0]), ValueError, "1 actions but 2 rewards"),
    (("CartPole-v1", [[0.0]] * 3, [0], [1.0]), ValueError, "one more"),
    (("CartPole-v1", [[0.0], [0.0, 1.0]], [0], [1.0]), ValueError, "differ in size"),
    (("CartPole-v1", [[0.0]], [0], [math.nan]), ValueError, "rewards[0] is nan"),
    (("CartPole-v1", [[0.0, math.inf]], [0], [1.0]), ValueError, "observations[0][1] is inf"),
    (("CartPole-v1", [[0.0]], ["left"], [1.0]), TypeError, "actions[0] should be a number"),
    (("CartPole-v1", [[[0.0, 1.0]]], [0], [1.0]), TypeError, "observations[0][0] should be a"),
    (("CartPole-v1", [[0.0] * 33], [0], [1.0]), ValueError, "between 1 and 32"),
    (("CartPole-v1", [[0.0]], [0], 1.0), TypeError, "rewards should be a list"),
])
def test_anything_else_is_refused_with_what_is_wrong(args, error, says):
    with pytest.raises(error) as raised:
        testing.record_episode(*args)
    assert says in str(raised.value)
    assert testing.collected_episode() is None


def test_an_episode_longer_than_the_cap_is_refused_without_reading_it_all():
    def endless():
        while True:
            yield 1.0

    with pytest.raises(ValueError, match=f"at most {MAX_STEPS}"):
        make_episode("CartPole-v1", [[0.0]] * 10, [0] * 10, endless())
    make_episode("CartPole-v1", [[0.0]] * (MAX_STEPS + 1), [0] * MAX_STEPS, [1.0] * MAX_STEPS)


def test_the_episode_survives_the_trip_through_a_result():
    episode = make_episode("Pendulum-v1", [[1.0, 0.0, 0.5]] * 3, [[0.5], [-0.5]], [-1.0, -0.5])
    result = CheckResult(Status.PASSED, episode=episode)
    back = CheckResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.episode == episode
    assert CheckResult.from_dict(CheckResult(Status.PASSED).to_dict()).episode is None


def test_a_malformed_episode_loses_the_replay_not_the_verdict():
    # Learner code runs in the check process and could scribble on what it sends.
    data = CheckResult(Status.PASSED, summary="3 tests passed").to_dict()
    for bad in ({"env_id": "CartPole-v1"}, "a string", {"env_id": "CartPole-v1",
                "observations": [["x"]], "actions": [[0.0]], "rewards": [1.0]}):
        data["episode"] = bad
        back = CheckResult.from_dict(data)
        assert back.passed and back.summary == "3 tests passed" and back.episode is None
    assert Episode.from_dict(None) is None

"""A recorded episode comes back with the result, the same from both engines."""

from __future__ import annotations

import pytest

from torchlings.engine import CheckJob, Status
from torchlings.engine.host.warm_engine import warm_supported

from .support import comparable

CHECK = '''
import numpy as np

from torchlings.checkapi.testing import record_episode


def test_plays(exercise):
    observations = [np.array([0.01 * k, 0.0, -0.02 * k, 0.1], dtype=np.float32) for k in range(4)]
    record_episode("CartPole-v1", observations, [exercise.push(k) for k in range(3)],
                   [1.0, 1.0, 1.0])
'''


@pytest.mark.skipif(not warm_supported(), reason="no fork on this platform")
def test_the_episode_comes_back_the_same_from_both_engines(warm, cold, tmp_path):
    check = tmp_path / "test_plays.py"
    check.write_text(CHECK)
    exercise = tmp_path / "agent.py"
    exercise.write_text("def push(k):\n    return k % 2\n")
    job = CheckJob(check, exercise, 10)
    on_warm, on_cold = warm.check(job), cold.check(job)
    assert on_warm.status is Status.PASSED, on_warm.summary
    assert comparable(on_warm) == comparable(on_cold)
    episode = on_warm.episode
    assert episode is not None and episode.env_id == "CartPole-v1"
    assert episode.actions == [[0.0], [1.0], [0.0]] and episode.rewards == [1.0] * 3
    assert len(episode.observations) == 4
    assert episode.observations[3][2] == pytest.approx(-0.06)


def test_a_check_without_an_episode_has_none(warm, tmp_path):
    check = tmp_path / "test_plain.py"
    check.write_text("def test_it(exercise):\n    assert exercise.push(1) == 1\n")
    exercise = tmp_path / "agent.py"
    exercise.write_text("def push(k):\n    return k % 2\n")
    result = warm.check(CheckJob(check, exercise, 10))
    assert result.passed and result.episode is None

import types

import pytest
import torch

from torchlings.checkapi import testing
from torchlings.checkapi.failures import CheckFailure
from torchlings.checkapi.testkit.gym import (
    expect_learns,
    piece,
    record_greedy_episode,
    require_pieces,
    seeded_env,
    train_until_solved,
)


def _climbing_agent(env, max_steps, on_episode):
    """Plays random actions; reports returns 10, 20, 30, ... so the bar is reached on time."""
    env.reset()
    for episode in range(1, 1000):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()  # gymnasium warns of a step after the end
        if on_episode(10.0 * episode) or env.steps >= max_steps:
            return


def test_stops_as_soon_as_the_window_mean_reaches_the_bar(monkeypatch):
    monkeypatch.setattr(testing, "_series", {})
    run = train_until_solved(_climbing_agent, seed=0, max_steps=10_000, bar=200.0, window=5)
    # returns 10k for k = 1.., mean of the last five = 10 * (k - 2) >= 200 first at k = 22
    assert run.solved and len(run.returns) == 22
    assert run.last_mean == 200.0 and run.best_mean == 200.0
    assert run.steps == 22
    assert run.steps_to_reach(100.0) == 12 and run.steps_to_reach(1000.0) is None
    assert testing.collected_series()["return"] == run.returns
    assert "22 episodes" in run.describe()


def test_a_spent_budget_is_reported_unsolved():
    run = train_until_solved(_climbing_agent, seed=0, max_steps=8, bar=200.0, window=5,
                             series=None)
    assert not run.solved and run.steps == 8 and run.best_mean == 60.0


def test_one_thread_while_training_and_the_setting_restored():
    seen = []

    def agent(env, max_steps, on_episode):
        seen.append(torch.get_num_threads())
        on_episode(1.0)

    before = torch.get_num_threads()
    train_until_solved(agent, seed=0, max_steps=1, bar=1.0, window=1, series=None)
    assert seen == [1] and torch.get_num_threads() == before


def test_no_argument_validation_while_training_and_the_setting_restored():
    from torch.distributions import Distribution, Normal

    seen = []

    def agent(env, max_steps, on_episode):
        seen.append(Distribution._validate_args)
        Normal(torch.zeros(1), -torch.ones(1))  # a negative scale: raises only when validating
        raise RuntimeError("the agent crashed")

    before = Distribution._validate_args
    with pytest.raises(RuntimeError, match="the agent crashed"):
        train_until_solved(agent, seed=0, max_steps=1, bar=1.0, window=1, series=None)
    assert seen == [False] and Distribution._validate_args == before


def test_seeded_env_is_deterministic():
    def rollout(seed):
        env = seeded_env(seed)
        obs, _ = env.reset()
        first = torch.rand(3).tolist()
        actions = [env.action_space.sample() for _ in range(5)]
        return obs.tolist(), first, actions

    assert rollout(3) == rollout(3)
    assert rollout(3) != rollout(4)


def _falling_agent(env, max_steps, on_episode):
    """Reports returns -500, -600, ... (Pendulum's are all negative) and returns itself."""
    env.reset()
    for episode in range(1, 1000):
        env.step(env.action_space.sample())
        if on_episode(-400.0 - 100.0 * episode) or env.steps >= max_steps:
            return "the trained agent"
    return "the trained agent"


def test_best_mean_of_negative_returns_is_not_zero():
    run = train_until_solved(_falling_agent, seed=0, max_steps=6, bar=-100.0, window=2,
                             series=None, env_id="Pendulum-v1")
    # returns -500 .. -1000; the best two-episode mean is the first, (-500 - 600) / 2
    assert not run.solved and run.best_mean == -550.0
    assert "best -550.0" in run.describe()


def test_the_trained_agent_is_kept_for_playback():
    run = train_until_solved(_falling_agent, seed=0, max_steps=3, bar=-100.0, window=2,
                             series=None, env_id="Pendulum-v1")
    assert run.agent == "the trained agent"


def test_expect_learns_names_the_environment_and_uses_its_window(monkeypatch):
    monkeypatch.setattr(testing, "_series", {})
    with pytest.raises(testing.CheckFailure, match="did not learn Pendulum-v1 within 4 steps"):
        expect_learns(_falling_agent, agent="SAC", seeds=(0,), max_steps=4, bar=-100.0,
                      env_id="Pendulum-v1", window=2)
    monkeypatch.setattr(testing, "_series", {})
    runs = expect_learns(_climbing_agent, agent="DQN", seeds=(0,), max_steps=100, bar=30.0,
                         window=3)
    # returns 10, 20, 30, 40: the three-episode mean first reaches 30 after episode 4
    assert runs[0].window == 3 and len(runs[0].returns) == 4


def test_expect_learns_records_the_mean_it_judges_and_the_bar(monkeypatch):
    from torchlings.checkapi.curves import judged
    from torchlings.checkapi.testkit.gym import expect_learns

    monkeypatch.setattr(testing, "_series", {})
    monkeypatch.setattr(testing, "_notes", [])
    runs = expect_learns(_climbing_agent, agent="test", seeds=[0, 1], max_steps=10_000, bar=150.0)
    seen = judged(testing.collected_series())
    assert seen is not None and seen.bar == 150.0 and seen.window == runs[0].window == 20
    assert set(seen.means) == {"seed 0", "seed 1"}
    means = seen.means["seed 0"]
    assert len(means) == len(runs[0].returns)
    # After each episode: the mean of the last 20 returns, the number the check judges.
    assert means[-1] == runs[0].last_mean >= 150.0 and means[0] == 10.0
    assert means[24] == sum(10.0 * k for k in range(6, 26)) / 20


# --- the replay: one greedy episode of the trained agent -----------------------

def _learns_at_once(env, max_steps, on_episode):
    """Reaches the bar as soon as it can (20 episodes) and hands back its 'agent'."""
    env.reset()
    while not on_episode(500.0):
        pass
    return "lean right"


def test_a_passing_run_records_its_agent_playing_greedily(monkeypatch):
    monkeypatch.setattr(testing, "_episode", [])
    asked = []

    def greedy(agent, obs):
        asked.append((agent, obs.dtype, torch.is_grad_enabled(), torch.get_num_threads()))
        return 1  # always push right: the pole falls within a few dozen steps

    expect_learns(_learns_at_once, agent="Test", seeds=(0, 1), max_steps=10, bar=1.0,
                  greedy=greedy)
    episode = testing.collected_episode()
    assert episode is not None and episode.env_id == "CartPole-v1"
    assert asked[0] == ("lean right", torch.float32, False, 1)  # the agent train returned
    assert 5 < episode.steps < 100 and episode.actions == [[1.0]] * episode.steps
    assert len(episode.observations) == episode.steps + 1  # with the state where it fell
    assert abs(episode.observations[-1][2]) > 0.2  # the pole's angle, past the 12 degrees


def test_no_greedy_function_no_replay(monkeypatch):
    monkeypatch.setattr(testing, "_episode", [])
    expect_learns(_learns_at_once, agent="Test", seeds=(0,), max_steps=10, bar=1.0)
    assert testing.collected_episode() is None


def test_an_agent_that_cannot_play_costs_the_replay_not_the_pass(monkeypatch):
    monkeypatch.setattr(testing, "_episode", [])
    monkeypatch.setattr(testing, "_notes", [])

    def broken(agent, obs):
        return agent.actor(obs)  # train returned a str: no .actor

    expect_learns(_learns_at_once, agent="Test", seeds=(0,), max_steps=10, bar=1.0,
                  greedy=broken)
    assert testing.collected_episode() is None
    assert any("could not be replayed: AttributeError" in n for n in testing.collected_notes())


def test_a_continuous_agent_is_replayed_with_its_torque(monkeypatch):
    monkeypatch.setattr(testing, "_episode", [])
    record_greedy_episode(None, lambda agent, obs: torch.tensor([2.0]), seed=0,
                          env_id="Pendulum-v1", max_steps=30)
    episode = testing.collected_episode()
    assert episode.env_id == "Pendulum-v1" and episode.steps == 30
    assert episode.actions == [[2.0]] * 30 and len(episode.observations[0]) == 3


def test_a_replay_can_ask_for_a_start_worth_watching(monkeypatch):
    # A pendulum that starts upright shows nothing; one hanging down shows the swing-up.
    import gymnasium as gym

    monkeypatch.setattr(testing, "_episode", [])
    hanging = lambda obs: obs[0] < -0.9  # noqa: E731 - cos(theta) near -1
    record_greedy_episode(None, lambda agent, obs: [0.0], seed=0, env_id="Pendulum-v1",
                          max_steps=5, start=hanging)
    first = testing.collected_episode().observations[0]
    assert first[0] < -0.9
    default, _ = gym.make("Pendulum-v1").reset(seed=1000)
    assert not hanging(default)  # so the start was chosen, not the default one
    record_greedy_episode(None, lambda agent, obs: [0.0], seed=0, env_id="Pendulum-v1",
                          max_steps=5)
    assert testing.collected_episode().observations[0] == pytest.approx(default.tolist())


def _counting_probe(wrong=False):
    calls = []

    def probe(exercise):
        calls.append(exercise)
        if wrong:
            raise AssertionError("the advantages are wrong")
    return probe, calls


def test_a_piece_that_passed_its_own_test_is_not_asked_again_before_training():
    exercise = types.ModuleType("learner")
    probe, calls = _counting_probe()
    piece(exercise, probe)
    require_pieces(exercise, (probe,))
    assert calls == [exercise]
    other = types.ModuleType("learner")  # the file loaded again, for another run
    require_pieces(other, (probe,))
    assert calls == [exercise, other]


def test_a_piece_that_failed_its_own_test_is_asked_again_and_stops_the_training():
    exercise = types.ModuleType("learner")
    probe, calls = _counting_probe(wrong=True)
    with pytest.raises(AssertionError):
        piece(exercise, probe)
    with pytest.raises(CheckFailure, match="Not trained.*the advantages are wrong"):
        require_pieces(exercise, (probe,))
    assert len(calls) == 2

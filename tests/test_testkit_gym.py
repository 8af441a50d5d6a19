import torch

from torchlings.checkapi import testing
from torchlings.checkapi.testkit.gym import seeded_env, train_until_solved


def _climbing_agent(env, max_steps, on_episode):
    """Plays random actions; reports returns 10, 20, 30, ... so the bar is reached on time."""
    env.reset()
    for episode in range(1, 1000):
        env.step(env.action_space.sample())
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


def test_seeded_env_is_deterministic():
    def rollout(seed):
        env = seeded_env(seed)
        obs, _ = env.reset()
        first = torch.rand(3).tolist()
        actions = [env.action_space.sample() for _ in range(5)]
        return obs.tolist(), first, actions

    assert rollout(3) == rollout(3)
    assert rollout(3) != rollout(4)


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

"""Training a learner's agent on a gymnasium environment, for the capstone checks.

A capstone exercise hands over `train(env, max_steps, on_episode)`: it plays
and learns for up to `max_steps` environment steps and calls
`on_episode(episode_return)` at the end of every episode; a true answer stops
training early. It returns the trained agent, which `expect_learns` then
watches play one greedy episode (`record_greedy_episode`) for the watch
screen to replay. `train_until_solved` seeds every source of randomness (torch,
NumPy, Python, the environment's reset and its action space), runs one
thread, streams each episode's return to the watch screen, and stops as soon
as the mean of the last `window` returns reaches the bar. Stopping at the bar
keeps a right answer fast; the step budget bounds a wrong one.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.distributions import Distribution

from torchlings.checkapi.curves import BAR, WINDOW, mean_series
from torchlings.checkapi.episode import MAX_STEPS
from torchlings.checkapi.testing import expect, fail, note, record_episode, record_point

# Picks the agent's greedy action for one observation (a float32 tensor), e.g.
# `lambda agent, obs: int(agent.actor(obs).argmax())`.
GreedyAction = Callable[[Any, torch.Tensor], Any]
START_TRIES = 50  # seeds tried for a replay's start; the last is kept if none suits


@dataclass
class TrainingRun:
    seed: int
    bar: float
    window: int
    returns: list[float] = field(default_factory=list)
    episode_ends: list[int] = field(default_factory=list)  # steps taken when each ended
    steps: int = 0
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time: steadier on a loaded machine
    agent: Any = field(default=None, repr=False)  # what train returned: the agent, to watch it play

    @property
    def last_mean(self) -> float:
        tail = self.returns[-self.window:]
        return sum(tail) / len(tail) if tail else 0.0

    @property
    def best_mean(self) -> float:
        # -inf, not 0: Pendulum's returns are all negative.
        best = float("-inf") if len(self.returns) >= self.window else 0.0
        for end in range(self.window, len(self.returns) + 1):
            best = max(best, sum(self.returns[end - self.window:end]) / self.window)
        return best

    def steps_to_reach(self, level: float) -> int | None:
        """Steps taken when the window mean first reached `level` (None: never)."""
        for end in range(self.window, len(self.returns) + 1):
            if sum(self.returns[end - self.window:end]) / self.window >= level:
                return self.episode_ends[end - 1]
        return None

    @property
    def solved(self) -> bool:
        return len(self.returns) >= self.window and self.last_mean >= self.bar

    def describe(self) -> str:
        return (f"seed {self.seed}: {len(self.returns)} episodes, {self.steps} steps, "
                f"mean of the last {self.window} returns {self.last_mean:.1f} "
                f"(best {self.best_mean:.1f}, bar {self.bar:g})")


def seeded_env(seed: int, env_id: str = "CartPole-v1"):
    """A fresh environment with torch, NumPy, Python and the env itself seeded."""
    import gymnasium as gym

    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    env = gym.make(env_id)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    return env


def train_until_solved(
    train: Callable,
    *,
    seed: int,
    max_steps: int,
    bar: float,
    window: int = 20,
    series: str | None = "return",
    label: str | None = None,
    env_id: str = "CartPole-v1",
) -> TrainingRun:
    """Train with `train(env, max_steps, on_episode)` until solved or out of steps.

    Each episode's return goes to the series `series`; with a `label` ("seed 0"),
    the rolling mean that `solved` judges goes to `curves.mean_series(label)` too.
    """
    run = TrainingRun(seed=seed, bar=bar, window=window)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    # Checking every distribution's arguments costs a capstone about a tenth of
    # its time (SAC builds three Normals an update) and changes no number; the
    # pieces were already tested with the checks on, before any training.
    validating = Distribution._validate_args
    Distribution.set_default_validate_args(False)
    env = seeded_env(seed, env_id)
    counted = _CountSteps(env)

    def on_episode(episode_return: float) -> bool:
        value = float(episode_return)
        run.returns.append(value)
        run.episode_ends.append(counted.steps)
        if series:
            record_point(series, value)
        if label:
            record_point(mean_series(label), run.last_mean)
        return run.solved

    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        run.agent = train(counted, max_steps, on_episode)
    finally:
        run.seconds = time.perf_counter() - start
        run.cpu_seconds = time.process_time() - cpu_start
        run.steps = counted.steps
        env.close()
        torch.set_num_threads(threads)
        Distribution.set_default_validate_args(validating)
    return run


class _CountSteps:
    """The environment as the agent sees it, counting steps on the way through."""

    def __init__(self, env) -> None:
        self._env = env
        self.steps = 0

    def step(self, action):
        self.steps += 1
        return self._env.step(action)

    def __getattr__(self, name):
        return getattr(self._env, name)


# The pieces each learner module has passed in this run, in their own tests (`piece`). A
# contract costs a tenth of a second where a probe costs a hundredth; the training test need
# not pay for it twice. Weak keys: a module loaded for another run is another key.
_PASSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def piece(exercise, probe: Callable) -> None:
    """Run one piece's test; once it passes, `require_pieces` does not ask it again."""
    probe(exercise)
    _PASSED.setdefault(exercise, set()).add(probe)


def require_pieces(exercise, probes: Sequence[Callable]) -> None:
    """Re-ask each piece's own test before training, so a wrong piece fails at once.

    A piece that passed its own test this run (run through `piece`) is not asked again.
    An open TODO (NotImplementedError) still reads "not done"; any other error is
    reported as the first wrong piece instead of seconds of training for nothing.
    """
    passed = _PASSED.get(exercise, set())
    for probe in probes:
        if probe in passed:
            continue
        try:
            probe(exercise)
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - a wrong piece may raise anything
            first = str(error).splitlines()[0] if str(error) else repr(error)
            fail("Not trained: one of the pieces is not right yet (see the tests above). "
                 f"The first thing wrong: {first}")


def expect_learns(train: Callable, *, agent: str, seeds: Sequence[int], max_steps: int,
                  bar: float, given: str = "train (given)", env_id: str = "CartPole-v1",
                  window: int = 20, greedy: GreedyAction | None = None,
                  start: Callable[[Any], bool] | None = None) -> list[TrainingRun]:
    """Train on every seed in turn; fail at the first that misses the bar, else note the runs.

    `agent` names it in the messages ("PPO"); `given` names the code besides the
    hyperparameters that the learner was handed and should have left as shipped.
    With `greedy`, the first seed's trained agent then plays one episode for the
    watch screen to replay (from a first observation that satisfies `start`, if given).
    """
    runs = []
    # What the watch screen draws and shows per seed: the bar and the mean it judges.
    record_point(BAR, bar)
    record_point(WINDOW, window)
    for seed in seeds:
        run = train_until_solved(train, seed=seed, max_steps=max_steps, bar=bar, window=window,
                                 series=f"return, seed {seed}", label=f"seed {seed}",
                                 env_id=env_id)
        runs.append(run)
        expect(run.solved,
               f"{agent} did not learn {env_id} within {max_steps} steps: {run.describe()}.\n"
               "The pieces pass their tests, so look at what else changed: the hyperparameters "
               f"at the top of the file and {given} should be as shipped.")
    note(f"{agent} reached a {runs[0].window}-episode mean of {bar:g}: "
         + "; ".join(f"seed {r.seed} after {len(r.returns)} episodes ({r.steps} steps)"
                     for r in runs))
    if greedy is not None:
        record_greedy_episode(runs[0].agent, greedy, seed=runs[0].seed, env_id=env_id, start=start)
    return runs


def record_greedy_episode(agent: Any, greedy: GreedyAction, *, seed: int,
                          env_id: str = "CartPole-v1", max_steps: int = MAX_STEPS,
                          start: Callable[[Any], bool] | None = None) -> None:
    """Let the trained agent play one episode, always taking its best action, and record it.

    On an environment seeded apart from training (seed + 1000, or the first of
    the next few seeds whose first observation satisfies `start`: a pendulum
    hanging down shows a swing-up, one that starts upright shows little),
    under no_grad and one thread. The replay is a bonus to a check that has
    passed: an agent that cannot be asked (train returned nothing, an action
    the environment refuses) costs the replay and a note, never the verdict.
    """
    import gymnasium as gym

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    env = gym.make(env_id)
    try:
        for tried in range(START_TRIES):
            obs, _ = env.reset(seed=seed + 1000 + tried)
            if start is None or start(obs):
                break
        observations: list[Any] = [obs]
        actions: list[Any] = []
        rewards: list[float] = []
        with torch.no_grad():
            while len(actions) < max_steps:
                action = greedy(agent, torch.as_tensor(obs, dtype=torch.float32))
                if isinstance(action, torch.Tensor):
                    action = action.numpy()
                obs, reward, terminated, truncated, _ = env.step(action)
                observations.append(obs)
                actions.append(action)
                rewards.append(float(reward))
                if terminated or truncated:
                    break
        record_episode(env_id, observations, actions, rewards)
    except Exception as error:  # noqa: BLE001 - the learner's agent may raise anything
        note(f"Your agent learned, but it could not be replayed: {type(error).__name__}: "
             f"{error}".splitlines()[0])
    finally:
        env.close()
        torch.set_num_threads(threads)

"""One episode of an agent playing: what a capstone check sends for the watch screen to replay.

A check builds it with `testing.record_episode`; it travels inside the
`CheckResult` as plain numbers (JSON both ways) and the watch screen draws it
frame by frame. Everything is checked here, on the way in, so the screen and
`verify --json` only ever see finite floats of a bounded size.

Frame k shows `observations[k]`; `actions[k]` is what the agent did there and
`rewards[k]` what that step paid. `observations` holds one entry per action,
or one more: the state the last action led to (the pole that fell).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# An episode longer than this is refused: CartPole-v1 stops at 500 steps and
# Pendulum-v1 at 200, and the result must stay small enough to ship as JSON.
MAX_STEPS = 1000
MAX_OBS_DIM = 32
MAX_ACTION_DIM = 8
_ENV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/:.]{0,63}")


@dataclass(frozen=True)
class Episode:
    env_id: str
    observations: list[list[float]]
    actions: list[list[float]]  # every action a vector: CartPole's 1 is [1.0]
    rewards: list[float]

    @property
    def steps(self) -> int:
        return len(self.actions)

    @property
    def total_return(self) -> float:
        return sum(self.rewards)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Episode | None:
        """Read one back; None for anything that is not a sound episode.

        The check process writes it, and learner code runs there too: a
        malformed episode loses the replay, never the verdict.
        """
        try:
            return make_episode(data["env_id"], data["observations"], data["actions"],
                                data["rewards"])
        except (TypeError, ValueError, KeyError, IndexError):
            return None


def make_episode(env_id: str, observations: Iterable[Any], actions: Iterable[Any],
                 rewards: Iterable[Any]) -> Episode:
    """Validate and copy into plain floats; ValueError or TypeError says what is wrong."""
    if not isinstance(env_id, str) or not _ENV_ID.fullmatch(env_id):
        raise ValueError(f"env_id should be a gymnasium id such as 'CartPole-v1', not {env_id!r}")
    rewards_ = [_number(r, f"rewards[{i}]") for i, r in enumerate(_bounded(rewards, "rewards"))]
    actions_ = [_vector(a, f"actions[{i}]", MAX_ACTION_DIM)
                for i, a in enumerate(_bounded(actions, "actions"))]
    observations_ = [_vector(o, f"observations[{i}]", MAX_OBS_DIM)
                     for i, o in enumerate(_bounded(observations, "observations", extra=1))]
    steps = len(actions_)
    if not steps:
        raise ValueError("an episode needs at least one step")
    if len(rewards_) != steps:
        raise ValueError(f"{steps} actions but {len(rewards_)} rewards: one reward per action")
    if len(observations_) not in (steps, steps + 1):
        raise ValueError(f"{steps} actions but {len(observations_)} observations: one per "
                         "action, or one more (the state the last action led to)")
    for name, vectors in (("observations", observations_), ("actions", actions_)):
        sizes = {len(v) for v in vectors}
        if len(sizes) > 1:
            raise ValueError(f"the {name} differ in size ({sorted(sizes)}): one size throughout")
    return Episode(env_id, observations_, actions_, rewards_)


def _bounded(values: Iterable[Any], name: str, extra: int = 0) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} should be a list, not {type(values).__name__}")
    taken: list[Any] = []
    for value in values:
        taken.append(value)
        if len(taken) > MAX_STEPS + extra:
            raise ValueError(f"{name}: more than {MAX_STEPS} steps; record at most {MAX_STEPS}")
    return taken


def _number(value: Any, where: str) -> float:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{where} should be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{where} should be a number, not {type(value).__name__}") from error
    if not math.isfinite(number):
        raise ValueError(f"{where} is {number}: an episode holds finite numbers only")
    return number


def _vector(value: Any, where: str, limit: int) -> list[float]:
    """A number or a flat sequence of numbers (a list, a NumPy array, a 1-D tensor)."""
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, torch tensors
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if not 1 <= len(value) <= limit:
            raise ValueError(f"{where} has {len(value)} numbers; between 1 and {limit}")
        return [_number(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return [_number(value, where)]

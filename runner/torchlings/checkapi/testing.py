"""Assertion helpers for checks: tensor-aware, with messages that teach.

A check should fail with a sentence a learner can act on: what was looked at,
what was expected, what was found, and which idea that points to. Every helper
here raises `CheckFailure` (an AssertionError) whose `details` carry the same
facts as typed data (`details.py`), so the report can lay them out (a table
of the first mismatched elements) without parsing text.

The order of `expect_tensor`'s checks is deliberate: type, shape, dtype,
device, requires_grad / grad_fn, finite, values. The first thing wrong is the
thing to fix; a value diff on a tensor of the wrong shape only confuses. Each
step is a function of its own in `tensor_checks.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from torchlings.checkapi import tensor_checks as steps
from torchlings.checkapi.details import NumberMismatch, PropertyMismatch, WrongChoice
from torchlings.checkapi.episode import Episode, make_episode
from torchlings.checkapi.failures import (
    CheckFailure,
    NotDone,
    fail,
    fail_with,
    fmt_shape,
    short_repr,
    with_concept,
)

__all__ = [
    "CheckFailure",
    "NotDone",
    "fail",
    "expect",
    "expect_tensor",
    "expect_close",
    "expect_choice",
    "note",
    "record_point",
    "record_series",
    "record_episode",
    "fmt_shape",
    "with_concept",
    "require_cuda",
]


# What a check wants shown beside its result: notes (for example the reason a
# conceptual answer is right) and series (a loss curve). The child process that
# runs one check reads these once pytest is finished; nothing else touches them.
_notes: list[str] = []
_series: dict[str, list[float]] = {}
_episode: list[Episode] = []  # at most one: the latest recorded


def note(text: str) -> None:
    """Show `text` with the result, also when the check passes."""
    _notes.append(text)


def record_series(name: str, values: Iterable[float]) -> None:
    """Record a series (e.g. the loss per step) for the watch screen to draw."""
    _series[name] = [float(v) for v in values]


def record_point(name: str, value: float) -> None:
    """Append one point to a series as it happens (e.g. each episode's return).

    While a check runs, the engine forwards the series so far to the watch
    screen, which plots it live; the whole series also comes with the result.
    """
    _series.setdefault(name, []).append(float(value))
    if _point_listener is not None:
        _point_listener(name, float(value))


def record_episode(env_id: str, observations: Iterable[Any], actions: Iterable[Any],
                   rewards: Iterable[Any]) -> None:
    """Record one episode of the agent playing, for the watch screen to replay.

    `observations[k]` is the state the agent saw before `actions[k]`, and
    `rewards[k]` what that action paid; `observations` may hold one more, the
    state the last action led to. Numbers, NumPy arrays or 1-D tensors; at most
    `episode.MAX_STEPS` steps. A second call replaces the first. Raises
    ValueError or TypeError, naming the entry, for anything else.
    """
    episode = make_episode(env_id, observations, actions, rewards)
    _episode[:] = [episode]


# Set by the check process when someone is watching the series live.
_point_listener: Callable[[str, float], None] | None = None


def collected_notes() -> list[str]:
    return list(_notes)


def collected_series() -> dict[str, list[float]]:
    return {k: list(v) for k, v in _series.items()}


def collected_episode() -> Episode | None:
    episode = _episode[-1] if _episode else None
    return episode if isinstance(episode, Episode) else None  # whatever else got in there


# The functions whose contract testkit.harness tried in this check: the
# marker `torchlings dev check` reads to list checks that judge only examples.
_contracts: list[str] = []


def record_contract(function: str) -> None:
    if function not in _contracts:
        _contracts.append(function)


def collected_contracts() -> list[str]:
    return list(_contracts)


def require_cuda() -> None:
    """Skip the calling test, honestly, where no CUDA GPU is present.

    Exercises that need one also say `requires = ["cuda"]` in the catalog, so
    the runner checks them in a fresh process (forking after CUDA is unsafe).
    """
    if not torch.cuda.is_available():
        import pytest

        pytest.skip("needs a CUDA GPU, and this machine has none: not checked here")


def expect(condition: object, message: str, **details: Any) -> None:
    """Fail with `message` unless `condition` is true."""
    if not condition:
        fail(message, **details)


def expect_tensor(
    actual: Any,
    *,
    name: str,
    shape: Sequence[int] | None = None,
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
    requires_grad: bool | None = None,
    grad_fn: bool | None = None,
    finite: bool = False,
    values: Any = None,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    concept: str = "",
) -> torch.Tensor:
    """Check a tensor property by property, in the order a learner should fix them.

    `name` says in the learner's terms what is being looked at ("the Q-values
    your network returns"); `concept` is the idea to revisit when it is wrong.
    `values` may be a tensor, a number or nested lists; it is compared with
    `torch.allclose` semantics for floating point and exactly otherwise.
    Returns `actual` so a check can go on using it.
    """
    steps.check_type(actual, name=name, concept=concept)
    if shape is not None:
        steps.check_shape(actual, shape, name=name, concept=concept)
    if dtype is not None:
        steps.check_dtype(actual, dtype, name=name, concept=concept)
    if device is not None:
        steps.check_device(actual, device, name=name, concept=concept)
    if requires_grad is not None:
        steps.check_requires_grad(actual, requires_grad, name=name, concept=concept)
    if grad_fn is not None:
        steps.check_grad_fn(actual, grad_fn, name=name, concept=concept)
    if finite:
        steps.check_finite(actual, name=name, concept=concept)
    if values is not None:
        steps.check_values(actual, values, name=name, atol=atol, rtol=rtol, concept=concept)
    checked: torch.Tensor = actual  # every check above passed: it is a tensor
    return checked


def expect_close(
    actual: Any,
    expected: Any,
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    concept: str = "",
) -> None:
    """Compare a number (or a tensor, by value only) with what it should be."""
    if steps.is_tensor(actual):
        if isinstance(expected, torch.Tensor) and tuple(expected.shape) != tuple(actual.shape):
            steps.check_shape(actual, expected.shape, name=name, concept=concept)
        steps.check_values(actual, expected, name=name, atol=atol, rtol=rtol, concept=concept)
        return
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        fail_with(
            with_concept(f"{name} should be a number, but it is {type(actual).__name__}"
                         f" ({short_repr(actual)}).", concept),
            PropertyMismatch("type", name, "number", type(actual).__name__),
        )
    want = float(expected)
    if not abs(float(actual) - want) <= atol + rtol * abs(want):
        fail_with(
            # An int expected is shown as one: "expected 12", not "expected 12.0".
            with_concept(f"{name} is {actual!r}, expected {_as_written(expected)}.", concept),
            NumberMismatch(name, want, float(actual), atol, rtol),
        )


def _as_written(number: Any) -> str:
    if isinstance(number, int) and not isinstance(number, bool):
        return repr(number)
    return repr(float(number))


def expect_choice(
    module: Any,
    attribute: str,
    *,
    correct: str,
    choices: dict[str, str],
    why: str,
) -> None:
    """Check a conceptual answer given by setting a constant to one of `choices`.

    An unset answer (None) counts as not done; a wrong one fails and lists the
    choices; the right one passes and `why` is shown as a note.
    """
    answer = getattr(module, attribute, None)
    listing = "\n".join(f"  {key!r}: {text}" for key, text in choices.items())
    if answer is None:
        raise NotDone(f"The question is not answered yet: set {attribute} to one of\n{listing}")
    if answer not in choices:
        fail_with(f"{attribute} = {answer!r} is not one of the choices:\n{listing}",
                  WrongChoice(attribute, repr(answer)))
    if answer != correct:
        fail_with(
            f"{attribute} = {answer!r} ({choices[answer]}) is not right. Think again about what "
            "the code does step by step, then pick another choice.",
            WrongChoice(attribute, repr(answer)),
        )
    note(f"{attribute} = {answer!r} is right. {why}")

"""Check: seed_everything makes Python's, NumPy's and torch's random numbers repeatable."""

import random

import numpy as np
import pytest
import torch

from torchlings.checkapi.testing import expect

CONCEPT = (
    "Python's random, NumPy's global generator and torch each keep their own generator: "
    "seed_everything(seed) calls random.seed(seed), np.random.seed(seed) and "
    "torch.manual_seed(seed), all with the seed it is given."
)
DRAWS = {
    "Python's random": (lambda: [random.random() for _ in range(3)], "random.seed(seed)"),
    "NumPy's global generator": (lambda: np.random.rand(3).tolist(), "np.random.seed(seed)"),
    "torch's generator": (lambda: torch.rand(3).tolist(), "torch.manual_seed(seed)"),
}


def _scramble(state: int):
    """Move every generator somewhere unrelated, as earlier code in a script would.

    Fixed states, not entropy: the verdict and its message must be the same on
    every run, and two different states are all it takes to expose a generator
    that seed_everything leaves alone.
    """
    random.seed(state)
    np.random.seed(state)
    torch.manual_seed(state)


@pytest.mark.parametrize("library", list(DRAWS))
def test_same_seed_same_numbers(exercise, library):
    """After seed_everything(s), each generator gives the same numbers every time."""
    draw, call = DRAWS[library]
    runs = []
    for state in (101, 202):
        _scramble(state)
        exercise.seed_everything(1234)
        runs.append(draw())
    expect(runs[0] == runs[1],
           f"After seed_everything(1234), {library} gave {runs[0][:2]}... the first time and "
           f"{runs[1][:2]}... the second: it is not seeded. Each library keeps its own "
           f"generator; add {call}.\n" + CONCEPT)


@pytest.mark.parametrize("library", list(DRAWS))
def test_different_seeds_differ(exercise, library):
    """Different seeds give different numbers: the seed argument is actually used."""
    draw, call = DRAWS[library]
    exercise.seed_everything(1)
    first = draw()
    exercise.seed_everything(2)
    second = draw()
    expect(first != second,
           f"seed_everything(1) and seed_everything(2) give {library} the same numbers: the "
           f"seed you are given is ignored. Pass it on: {call}.\n" + CONCEPT)

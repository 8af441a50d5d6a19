"""Check: seed_everything makes Python's, NumPy's and torch's random numbers repeatable."""

import random

import numpy as np
import pytest
import torch

from torchlings.checkapi.testing import expect, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

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


LARGEST_SEED = 2**32 - 1  # the largest NumPy's global generator accepts


def _draws_after(seed_everything, seed: int, *, earlier: int) -> dict[str, list[int]]:
    """Each generator's next numbers after earlier code moved it and seed_everything(seed) ran.

    Integers, so a stream is the same or not, with no tolerance to argue about.
    """
    _scramble(earlier)
    seed_everything(seed)
    return {
        "Python's random": [random.getrandbits(31) for _ in range(3)],
        "NumPy's global generator": np.random.randint(0, 2**31, 3).tolist(),
        "torch's generator": torch.randint(0, 2**31, (3,)).tolist(),
    }


def _reference(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def test_contract(exercise):
    """Any seed NumPy accepts (0 and the largest too) seeds all three generators exactly.

    Exactly as their own seed functions do; grad mode and the other switches left alone."""
    def inputs(draw):
        return Args(draw["seed"])

    def earlier(seed):
        return (seed + 977) % (LARGEST_SEED + 1)  # some other state, never the seed itself

    def diagnose(case, got, want):
        seed = case.inputs.args[0]
        library = next(name for name in want if got.get(name) != want[name])
        call = DRAWS[library][1]
        again = _draws_after(exercise.seed_everything, seed, earlier=earlier(seed) + 1)
        if again[library] != got[library]:
            fail(f"After seed_everything({seed}), {library} still gives different numbers "
                 "depending on what ran before: it is not seeded for this seed. (A test such as "
                 "`if seed:` skips seed 0; np.random.default_rng(seed), np.random.RandomState"
                 f"(seed) and random.Random(seed) make new generators and leave the global one "
                 f"as it was.) Call {call} for every seed.\n" + CONCEPT)
        other = _draws_after(exercise.seed_everything, (seed + 1) % (LARGEST_SEED + 1),
                             earlier=earlier(seed))
        if other[library] == got[library]:
            fail(f"seed_everything({seed}) and seed_everything({(seed + 1) % (LARGEST_SEED + 1)})"
                 f" give {library} the same numbers: the seed you are given is ignored. Pass it "
                 f"on: {call}.\n" + CONCEPT)
        fail(f"After seed_everything({seed}), {library} is seeded, but its numbers are not the "
             f"ones {call} gives: it was seeded with something other than the seed itself "
             "(seed + 1, str(seed), a hash), or drew numbers after seeding. Pass the seed as it "
             f"is, and draw nothing: {call}.\n" + CONCEPT)

    check_contract(Contract(
        function="seed_everything",
        call=lambda seed: _draws_after(exercise.seed_everything, seed, earlier=earlier(seed)),
        reference=lambda seed: _draws_after(_reference, seed, earlier=earlier(seed)),
        inputs=inputs, axes={"seed": [0, 1, 1234, LARGEST_SEED]},
        uses_rng=True,  # the lesson is the random stream: seeding moves it
        diagnose=diagnose, concept=CONCEPT))

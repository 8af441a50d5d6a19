"""Reproducibility: seed every random number generator.

A program that uses random numbers can be made to produce the same numbers on
every run by seeding its generator. The catch is that a typical training
script has three separate global generators, and each needs its own seed:

- Python's `random` module (`random.seed`), used by much library code and by
  the quick `random.random() < epsilon` test;
- NumPy's global generator (`np.random.seed`), used by environments and by
  data code written with NumPy;
- torch's generator (`torch.manual_seed`), used for weight initialisation,
  dropout, `torch.randint` and friends.

Seeding one of them does nothing for the other two. (Calling
`np.random.default_rng(seed)` creates a *new* NumPy generator and leaves the
global one untouched.)

Why RL cares: RL results vary a lot from seed to seed, so papers report
several seeds, and a bug you can only reproduce one time in five is
miserable to hunt. The first line of every experiment is a call like the
one you are about to write.
"""

import random  # noqa: F401 (the exercise is to use it)

import numpy as np  # noqa: F401 (the exercise is to use it)
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators with `seed`.

    `seed` is any int from 0 to 2**32 - 1 (the range NumPy accepts). Seeding is
    all it does: other switches, such as torch.use_deterministic_algorithms,
    are the caller's to set.
    """
    # TODO: only one of the three generators is seeded here.
    torch.manual_seed(seed)

"""Advantage normalisation, one minibatch at a time.

PPO implementations rescale the advantages of every minibatch just before
the loss:

    A_norm = (A - A.mean()) / (A.std() + eps)

Centring makes about half the actions in the minibatch "better than usual"
and half "worse", whatever the scale of the rewards; dividing by the spread
keeps the size of the policy gradient steady from one batch to the next.
eps (1e-8) stops a division by zero when the std comes out exactly 0, as it
does for equal advantages whose mean is exact (sixteen copies of 2.5): A -
mean is 0 everywhere, and 0 / eps is a clean 0. Do not count on it for
every constant, though: in float32 the mean of ten copies of 123.456 is off
in its last bits, so A - mean is a few millionths, the std is as small, and
the "normalised" result is about -0.95 everywhere: rounding noise blown up
to size 1. A constant minibatch carries no signal to normalise; eps only
keeps it from turning into NaN. (Where eps goes, std + eps as here,
sqrt(var + eps) or max(std, eps), only shows when the spread is tiny, near
1e-4; any of them is accepted.)

It is ONE mean and ONE std over the whole minibatch, whatever its shape. A
minibatch laid out as (T, N) is still one pile of samples: normalising each
column (each env) on its own changes which actions count as good.

The std here is torch's default, with Bessel's correction (divide by n - 1),
as CleanRL and SB3 use. (Spinning Up uses NumPy's population std, divide by
n; on a large batch the two barely differ, on a small one they do.)

And a minibatch of one? Then there is no "usual" to compare with: A - mean
is 0, and the n - 1 in the std is 0 too. Think about what that gives before
you answer the question at the bottom. This function refuses such a
minibatch with a ValueError that says what to do, rather than hand PPO a
gradient that is silently NaN or silently zero.

Your job: the normalisation, the guard, and the question.
"""

import torch


def normalize_advantages(advantages: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Return (A - mean) / (std + eps) over ALL elements: same shape and dtype, a new tensor.

    advantages: a minibatch of any shape, e.g. (B,) or (T, N).
    Raises ValueError when it holds fewer than 2 elements. The input is left untouched.
    Advantages that arrive attached to a graph may come back with it or detached, as you
    like (PPO's loss detaches them anyway); if yours keeps it, its gradient is the formula's.
    """
    # TODO: refuse a minibatch of fewer than 2 elements with a ValueError.
    # TODO: one mean and one std (torch's default) over every element.
    raise NotImplementedError("normalise the advantages")


# What does (A - A.mean()) / (A.std() + 1e-8) give for a minibatch of ONE advantage?
#   "nan": NaN
#   "zero": a clean 0
#   "unchanged": the advantage unchanged
ONE_SAMPLE = None  # TODO: one of "nan", "zero", "unchanged"

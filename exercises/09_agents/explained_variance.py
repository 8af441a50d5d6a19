"""Explained variance: is the critic learning anything?

A PPO run logs a handful of numbers, and one of them says how well the
critic's values V(s) predict the returns they are trained on:

    explained_variance = 1 - Var[returns - values] / Var[returns]

Read it like R^2. 1 means the critic predicts every return exactly; 0 means
it does no better than always guessing the mean return; below 0 it is worse
than that, and there is no floor: a critic that predicts the opposite of the
truth scores far below 0. Do not clip it: a negative value is exactly what
tells you the critic is broken (wrong sign, targets not detached, a learning
rate that blew it up).

Both variances run over ALL samples of the rollout, whatever its layout:
(T * N,) or (T, N) is one pile of numbers. Whether you divide by n or by
n - 1 does not matter here, as long as both variances do the same: the
ratio is the same.

When every return is equal there is no spread to explain and the ratio
means nothing: return NaN (float("nan")), as CleanRL and SB3 do, rather
than raise or invent a number. A single sample is such a case too. But do
not test for it with `Var[returns] == 0`, as both of them write it: the
variance of equal floats is 0 only in exact arithmetic. Seven float32
returns of 0.1 have a computed variance of 5.6e-17, and the `== 0` test
then divides by that rounding error and logs a huge negative number. Ask
the question you mean, "are all the returns equal?", or compare the
variance with the returns' size (a tolerance relative to the scale, never
a fixed one: returns of size 1e-5 still have a spread worth scoring).

It is a number for a log, so return a Python float, not a tensor; values
may arrive attached to the critic's graph, and that must not matter.

Your job: the formula, the zero-variance case and the type.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    """1 - Var[returns - values] / Var[returns] over all elements, as a Python float.

    values, returns: the same shape, any layout. NaN when every return is equal.
    """
    # TODO
    raise NotImplementedError("how much of the returns' variance the critic explains")

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

When the returns have no spread the ratio means nothing: return NaN
(float("nan")), as CleanRL and SB3 do, rather than raise or invent a
number. A single sample is such a case too. Careful with "no spread": the
computed variance of equal floats is not always exactly 0. Seven returns of
0.1 give about 5.6e-17 in float32, because their mean is not exactly 0.1;
`var == 0` then lets the formula run and gives 0 (or, with other values, a
huge number). Testing the returns themselves (returns.max() ==
returns.min()) catches that case too. Either test is accepted here; a
variance that is exactly 0 must give NaN. But no spread means none at
all: returns in a small unit (a spread of 1e-5, a variance of 1e-10) do
spread, so a threshold such as `var < 1e-8` is not a test for it.

It is a number for a log, so return a Python float, not a tensor; values
may arrive attached to the critic's graph, and that must not matter.

Your job: the formula, the zero-variance case and the type.
"""

import torch


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    """1 - Var[returns - values] / Var[returns] over all elements, as a Python float.

    values, returns: the same shape, any layout. NaN when the returns have no spread
    (their variance is exactly 0, or every return is equal).
    """
    # TODO
    raise NotImplementedError("how much of the returns' variance the critic explains")

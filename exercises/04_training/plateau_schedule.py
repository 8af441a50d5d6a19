"""A plateau scheduler driven by a metric.

Some schedules do not follow the clock but the results:
`torch.optim.lr_scheduler.ReduceLROnPlateau` watches a number you hand it
after each evaluation and cuts the learning rate (here: halves it) once that
number has gone more than `patience` evaluations in a row without a new best:
with patience=2 it lets two such evaluations pass and cuts on the third.

Two things are easy to get wrong. Unlike the other schedulers, its `step`
needs the metric: `scheduler.step(value)`. And it must know which direction
is "better": `mode="min"` for a loss, `mode="max"` for something you want to
grow. Get the direction wrong and it decides an improving agent is stuck and
slows it down.

The third trap hides in a default. "A new best" means beating the best by a
margin, and by default (`threshold_mode="rel"`) that margin is relative: in
max mode a value counts as better when it exceeds best * (1 + threshold).
For a negative best such as -50 that bar is -50.005, below the best itself,
so a flat -50, -50, -50 is "a new best" every time and the rate is never
cut. An absolute margin, `threshold_mode="abs"` (better means more than
best + threshold), works for returns of either sign.

Why RL cares: the number an RL practitioner watches is the mean episode
return from evaluation runs, and higher is better. A plateau scheduler built
for a loss would halve the learning rate exactly while the agent improves.
And RL returns are often negative (a cost per step, as in Pendulum or
MountainCar), exactly where the relative margin fails.

Your job: the scheduler should halve the rate (of every parameter group) on
the third evaluation in a row without a new best mean return (patience=2,
factor=0.5), judging "new best" by an absolute margin, and
`after_evaluation` must report each evaluation's mean return to it, as it is:
returns are fractional, and a rounded return hides small improvements. Leave
the other settings at their defaults: a small margin (threshold=1e-4, so any
real improvement is a new best), no cooldown (after a cut the count starts
again and the next cut can come three evaluations later), no floor on the rate.
The check plays many return sequences through your scheduler: rising, flat,
noisy, positive, negative, crossing zero, in the thousands.
"""

import torch


def make_plateau_scheduler(optimizer):
    """Halve the rate on the 3rd evaluation in a row without a new best mean return (patience=2)."""
    # TODO: which direction is better for a mean return? And which margin works when
    # the returns are negative?
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=0.5, patience=2
    )


def after_evaluation(scheduler, mean_return: float) -> None:
    """Tell the scheduler the mean return of the evaluation that just finished."""
    # TODO: one line
    raise NotImplementedError("report mean_return to the scheduler")

"""Exploration that fades: a linear epsilon schedule.

An epsilon-greedy agent acts at random with probability epsilon. At the start
its Q-values are noise, so it should explore almost always (epsilon near 1);
later it should mostly exploit what it learned, keeping a little randomness
(say 0.05) so it never stops trying things. The usual schedule decays epsilon
in a straight line over the first part of training, then holds it:

    duration = fraction * total_steps
    epsilon(step) = start + (end - start) * min(step / duration, 1)

so epsilon(0) = start, epsilon(duration) = end (up to float rounding: with
start 1.0 and end 0.05 the formula gives 0.050000000000000044, which is why
floats are compared with a tolerance), and every later step gives that value
again. Three things go wrong without an error:

- Forgetting the min: the line keeps going past `end`, to 0 and below, and an
  epsilon below zero silently means "never explore".
- Off by one: `duration - 1` or `step + 1` reaches `end` one step early or
  never quite reaches it.
- The result must be a plain Python float (it is compared with
  `random.random()` and logged): not a tensor, not an int (`max(..., end)`
  with `end = 0` hands back the int 0).

`fraction` may be 0: then there is no decay at all and epsilon is `end` from
the first step (and there is nothing to divide by).

CleanRL's `linear_schedule(start_e, end_e, duration, t)` is this formula with
the clamp written as `max(slope * t + start_e, end_e)`; SB3's `get_linear_fn`
is the same line, fed with the progress remaining (1 at the start, 0 at the
end) instead of the step.
"""


def epsilon_schedule(
    step: int, start: float, end: float, fraction: float, total_steps: int
) -> float:
    """Epsilon at `step`: linear from `start` to `end` over fraction * total_steps steps.

    step >= 0; 0 <= fraction <= 1; start >= end. Returns a Python float.
    """
    # TODO: the linear decay, clamped at `end` once the decay is over.
    raise NotImplementedError("write the linear epsilon schedule")

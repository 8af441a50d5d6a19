"""Check: a linear epsilon schedule, clamped at the end, returned as a Python float."""

from torchlings.checkapi.testing import expect, expect_close
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "epsilon = start + (end - start) * min(step / duration, 1) with duration = "
    "fraction * total_steps; a Python float; just `end` when duration is 0."
)


def _want(step, start, end, fraction, total):
    duration = fraction * total
    return end if duration == 0 else start + (end - start) * min(step / duration, 1.0)


def _rounded(args, rounding):
    """What a schedule gives when it rounds its decay length to whole steps."""
    step, start, end, fraction, total = args
    return _want(step, start, end, rounding(fraction * total), 1)


def _eps(exercise, step, start=1.0, end=0.05, fraction=0.5, total=1000):
    return exercise.epsilon_schedule(step, start, end, fraction, total)


def test_returns_a_python_float(exercise):
    """Epsilon is a plain Python float, also when start and end are given as ints."""
    for args in ((0, 1.0, 0.05, 0.5, 1000), (250, 1.0, 0.05, 0.5, 1000),
                 (5000, 1, 0, 0.5, 1000), (0, 1, 0, 0.5, 1000)):
        value = exercise.epsilon_schedule(*args)
        expect(isinstance(value, float),
               f"epsilon_schedule{args} returned {type(value).__name__} ({value!r}); it should "
               "be a plain Python float. A tensor drags autograd and devices into a number "
               "that is compared with random.random(); `max(..., end)` with an int end hands "
               "back that int. Wrap the result in float().\n" + CONCEPT)


def test_starts_at_start(exercise):
    """At step 0 epsilon is `start`."""
    expect_close(_eps(exercise, 0), 1.0, name="epsilon at step 0", atol=1e-9, concept=CONCEPT)


def test_straight_line_during_the_decay(exercise):
    """At 1/4, 1/2 and the last step before the end, epsilon lies on the straight line."""
    for step in (125, 250, 499):
        expect_close(_eps(exercise, step), _want(step, 1.0, 0.05, 0.5, 1000),
                     name=f"epsilon at step {step} of a decay that lasts 500 steps", atol=1e-9,
                     concept="The decay covers duration = fraction * total_steps = 500 steps "
                     "(not duration - 1, not step + 1). " + CONCEPT)


def test_reaches_end_exactly_at_the_end_of_the_decay(exercise):
    """At step = fraction * total_steps epsilon is `end` (to within float rounding)."""
    expect_close(_eps(exercise, 500), 0.05, name="epsilon at step 500, where the decay ends",
                 atol=1e-9, concept=CONCEPT)


def test_flat_after_the_decay(exercise):
    """After the decay epsilon stays at `end`: never below it, however long training runs."""
    for step in (501, 750, 1000, 10**7):
        expect_close(_eps(exercise, step), 0.05, name=f"epsilon at step {step}", atol=1e-9,
                     concept="Clamp: after the decay the line must stop at `end`; past it "
                     "epsilon would fall to 0 and below. " + CONCEPT)


def test_other_settings(exercise):
    """Other starts, ends and fractions: a decay over all steps, one of a single step."""
    for args in ((0, 0.5, 0.1, 0.1, 2000), (100, 0.5, 0.1, 0.1, 2000), (199, 0.5, 0.1, 0.1, 2000),
                 (300, 0.5, 0.1, 0.1, 2000), (40, 1.0, 0.0, 1.0, 80), (80, 1.0, 0.0, 1.0, 80),
                 (81, 1.0, 0.0, 1.0, 80), (2, 1.0, 0.02, 0.25, 10), (3, 1.0, 0.02, 0.25, 10),
                 (0, 0.9, 0.1, 0.1, 10), (1, 0.9, 0.1, 0.1, 10)):
        got, want = exercise.epsilon_schedule(*args), _want(*args)
        fraction, total = args[3:]
        for rounding in (int, round):
            steps = rounding(fraction * total)
            expect(not (abs(want - _rounded(args, rounding)) > 1e-9
                        and abs(got - _rounded(args, rounding)) < 1e-9),
                   f"epsilon_schedule{args} is {got!r}, expected {want!r}: the decay length "
                   f"was rounded to {rounding.__name__}({fraction} * {total}) = {steps} steps "
                   f"instead of {fraction * total}. Keep duration = fraction * total_steps as a "
                   "float; step / duration works with any duration.\n" + CONCEPT)
        expect_close(got, want, name=f"epsilon_schedule{args}", atol=1e-9, concept=CONCEPT)


def test_no_decay_when_fraction_is_zero(exercise):
    """fraction = 0: epsilon is `end` from the very first step, with no division by zero."""
    for step in (0, 1, 50):
        try:
            value = exercise.epsilon_schedule(step, 1.0, 0.05, 0.0, 100)
        except ZeroDivisionError:
            expect(False, "fraction = 0 made epsilon_schedule divide by zero. A decay of zero "
                   "steps is already over: return end.\n" + CONCEPT)
        expect_close(value, 0.05, name=f"epsilon at step {step} with fraction = 0", atol=1e-9,
                     concept=CONCEPT)


def test_contract(exercise):
    """A Python float on the line, then end, for any start and end (ints too), any fraction
    and total, before, during and after the decay."""
    def reference(step, start, end, fraction, total_steps):
        duration = fraction * total_steps
        if duration <= 0:
            return float(end)
        return float(start + (end - start) * min(step / duration, 1.0))

    def inputs(draw):
        total = draw["total"]
        step = {"start": 0, "middle": total // 7, "end": int(draw["fraction"] * total),
                "after": total * 2}[draw["step"]]
        start, end = draw["range"]
        return Args(step, start, end, draw["fraction"], total)

    check_contract(Contract(
        function="epsilon_schedule", call=exercise.epsilon_schedule, reference=reference,
        inputs=inputs,
        axes={"step": ["start", "middle", "end", "after"], "range": [(1.0, 0.05), (1, 0), (0.5, 0.5)],
              "fraction": [0.0, 0.1, 1.0], "total": [1, 1000]},
        budget=12, atol=1e-9, rtol=1e-9, concept=CONCEPT))

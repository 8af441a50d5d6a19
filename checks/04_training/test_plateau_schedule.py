"""Check: ReduceLROnPlateau on the mean return (higher is better), stepped with the metric."""

import torch

from torchlings.checkapi.testing import expect, expect_close

BASE_LR = 0.1
CONCEPT = ("A mean return should grow: ReduceLROnPlateau(mode='max', threshold_mode='abs'), "
           "and each evaluation "
           "calls scheduler.step(mean_return). With patience=2 it lets 2 evaluations in a row "
           "pass without a new best and halves the rate on the 3rd (it cuts once the count "
           "of evaluations without improvement exceeds patience).")
RISING = [10.0, 20.0, 35.0, 50.0, 80.0, 120.0]


def lrs_along(exercise, returns):
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=BASE_LR)
    scheduler = exercise.make_plateau_scheduler(optimizer)
    seen = []
    for value in returns:
        exercise.after_evaluation(scheduler, value)
        seen.append(optimizer.param_groups[0]["lr"])
    return seen


def reference_lrs(returns):
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=BASE_LR)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="max", factor=0.5, patience=2, threshold_mode="abs"
    )
    seen = []
    for value in returns:
        scheduler.step(value)
        seen.append(optimizer.param_groups[0]["lr"])
    return seen


def test_improving_agent_keeps_its_rate(exercise):
    """While the mean return keeps rising, the learning rate stays where it is."""
    returns = RISING
    for i, lr in enumerate(lrs_along(exercise, returns)):
        expect_close(lr, BASE_LR, name=f"the learning rate after evaluation {i + 1} "
                     f"(returns so far {returns[: i + 1]})", rtol=1e-9,
                     concept="The return is improving, yet the rate was cut: the scheduler "
                     "thinks lower is better. " + CONCEPT)


def test_stuck_agent_gets_a_smaller_rate(exercise):
    """When the mean return stops improving, the rate is halved after the patience runs out."""
    # No exact ties: with the default relative threshold a tie counts differently
    # for negated values, and that subtlety is not this lesson.
    returns = [10.0, 40.0, 39.0, 35.0, 38.0, 39.5, 30.0, 45.0, 44.0]
    want = reference_lrs(returns)
    got = lrs_along(exercise, returns)
    first_cut = next((i for i, lr in enumerate(got) if lr != BASE_LR), None)
    want_cut = next(i for i, lr in enumerate(want) if lr != BASE_LR)
    rising_kept = all(lr == BASE_LR for lr in lrs_along(exercise, RISING))
    if (rising_kept and first_cut is not None and first_cut != want_cut
            and abs(first_cut - want_cut) <= 2):
        gap = want_cut - first_cut
        timing = (f"{abs(gap)} evaluation{'s' if abs(gap) > 1 else ''} "
                  f"too {'early' if gap > 0 else 'late'}")
        expect(False,
               f"The rate was first cut after evaluation {first_cut + 1} (returns so far "
               f"{returns[: first_cut + 1]}), {timing}: the best was 40.0 at evaluation 2, "
               f"and with patience=2 the cut comes on the 3rd evaluation in a row without a new "
               f"best, evaluation {want_cut + 1}. Check patience (it counts the evaluations "
               "that are let pass, not the one that cuts).\n" + CONCEPT,
               actual=first_cut + 1, expected=want_cut + 1)
    for i, (lr, w) in enumerate(zip(got, want, strict=True)):
        expect_close(lr, w, name=f"the learning rate after evaluation {i + 1} "
                     f"(returns so far {returns[: i + 1]})", rtol=1e-9, concept=CONCEPT)


NEGATIVE_MARGIN = (
    "With the default threshold_mode='rel', max mode counts a value as a new best when it "
    "beats best * (1 + threshold): for a best of -50 that bar is -50.005, below the best "
    "itself, so a flat negative return is 'a new best' every time and the rate is never cut. "
    "threshold_mode='abs' (better means more than best + threshold) works for returns of "
    "either sign; RL returns are often negative.")


def test_flat_returns_are_a_plateau_whatever_their_sign(exercise):
    """A flat mean return is a plateau, negative or positive: the rate is halved on the 3rd
    evaluation after the best."""
    for flat in ([-50.0] * 6, [12.5] * 6, [-200.0, -120.0] + [-120.0] * 4):
        want, got = reference_lrs(flat), lrs_along(exercise, flat)
        cut = next(i for i, lr in enumerate(want) if lr != BASE_LR)
        expect(got[cut] == want[cut],
               f"The mean return stayed at {flat[-1]:g} from evaluation {flat.index(flat[-1]) + 1} "
               f"on ({flat}), yet after evaluation {cut + 1} the rate is {got[cut]:g}, not "
               f"{want[cut]:g}: the scheduler kept finding a new best in a flat line. "
               + NEGATIVE_MARGIN + "\n" + CONCEPT)
        for i, (lr, w) in enumerate(zip(got, want, strict=True)):
            expect_close(lr, w, name=f"the learning rate after evaluation {i + 1} of {flat}",
                         rtol=1e-9, concept=NEGATIVE_MARGIN + " " + CONCEPT)

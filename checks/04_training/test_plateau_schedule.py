"""Check: ReduceLROnPlateau on the mean return (higher is better), stepped with the metric,
with a margin that works for negative returns too."""

import torch

from torchlings.checkapi.testing import expect, expect_close

BASE_LR = 0.1
CONCEPT = ("A mean return should grow: ReduceLROnPlateau(mode='max'), and each evaluation "
           "calls scheduler.step(mean_return). With patience=2 it lets 2 evaluations in a row "
           "pass without a new best and halves the rate on the 3rd (it cuts once the count "
           "of evaluations without improvement exceeds patience).")
SIGN_CONCEPT = ("ReduceLROnPlateau's default threshold is relative (threshold_mode='rel'): in mode "
                "'max' a new best must beat best * (1 + 1e-4), and for a negative best that bar lies "
                "below the best, so a flat negative return is a 'new best' every time (mode 'min' on "
                "the negated return fails the same way for positive returns). "
                "threshold_mode='abs' asks for a margin of 1e-4 whatever the sign.")
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
    # Every change here is far larger than the 1e-4 margin, so any margin that
    # works for both signs (threshold_mode="abs", or threshold=0) gives the same
    # cuts; exact ties are judged in test_flat_return_gets_a_smaller_rate.
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


def test_flat_return_gets_a_smaller_rate(exercise):
    """A flat mean return, negative or positive, is no progress: the rate is cut after the patience."""
    for level in (-50.0, 50.0, -0.5):
        returns = [level] * 5
        want = reference_lrs(returns)
        got = lrs_along(exercise, returns)
        if all(lr == BASE_LR for lr in got):
            expect(False,
                   f"The mean return stayed at {level} for {len(returns)} evaluations and the rate "
                   "was never cut: the scheduler counted the same value as a new best every time. "
                   f"{SIGN_CONCEPT}\n{CONCEPT}",
                   actual=got, expected=want)
        for i, (lr, w) in enumerate(zip(got, want, strict=True)):
            expect_close(lr, w, name=f"the learning rate after evaluation {i + 1} "
                         f"(returns so far {returns[: i + 1]})", rtol=1e-9,
                         concept=SIGN_CONCEPT + " " + CONCEPT)


def test_stuck_negative_return_gets_a_smaller_rate(exercise):
    """Negative returns that stop improving get the same cuts as positive ones."""
    returns = [-120.0, -80.0, -81.0, -85.0, -82.0, -80.5, -90.0, -70.0, -71.0]
    want = reference_lrs(returns)
    got = lrs_along(exercise, returns)
    for i, (lr, w) in enumerate(zip(got, want, strict=True)):
        expect_close(lr, w, name=f"the learning rate after evaluation {i + 1} "
                     f"(returns so far {returns[: i + 1]})", rtol=1e-9,
                     concept=SIGN_CONCEPT + " " + CONCEPT)

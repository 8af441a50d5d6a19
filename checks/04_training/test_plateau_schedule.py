"""Check: ReduceLROnPlateau on the mean return (higher is better), stepped with the metric."""

import random

import torch

from torchlings.checkapi.testing import expect, expect_close, fail, with_concept
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

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
    # No exact ties here: flat lines are the next test's lesson.
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


# --- the contract: the rule, played over return sequences of every kind ----------------

def _on_grid(values):
    # Returns on a 0.1 grid: a real improvement is >= 0.1, far above the 1e-4 margin, so a
    # margin of 0 and the default 1e-4 give the same verdicts (either is a right answer).
    return [round(v, 1) for v in values]


def _rising(r, start, n):
    values = [start]
    for _ in range(n - 1):
        values.append(values[-1] + r.uniform(0.1, 0.45))  # steps that round() can swallow
    return values


def _noisy(r, centre, n, spread):
    return [centre + r.uniform(-spread, spread) for _ in range(n)]


def _returns(kind, r):
    """A sequence of mean returns of one kind, drawn from the case's seeded stream."""
    if kind == "rising, negative (a cost per step)":
        return _rising(r, -200.0, 8) + [-190.0] * 4 + _rising(r, -189.5, 5)
    if kind == "rising in small steps":
        return _rising(r, 0.2, 12)
    if kind == "flat negative":
        return [-50.0] * 4 + [-49.7] + [-49.7] * 7
    if kind == "flat positive, flat zero":
        return [12.5] * 5 + [0.0] * 4 + [13.0] + [13.0] * 6
    if kind == "noisy plateau, negative":
        return _rising(r, -300.0, 4) + _noisy(r, -310.0, 16, 8.0)
    if kind == "noisy plateau, positive":
        return _rising(r, 40.0, 3) + _noisy(r, 35.0, 16, 6.0) + _rising(r, 60.0, 3)
    if kind == "crossing zero":
        return _rising(r, -1.5, 12) + [r.uniform(-0.4, 0.4) for _ in range(8)]
    if kind == "in the thousands, small gains":
        return _rising(r, 4000.0, 6) + _noisy(r, 3990.0, 8, 5.0) + _rising(r, -5000.0, 4)
    if kind == "long, several plateaus":
        out = []
        for level in (-80.0, -60.0, -60.0, -20.0, 15.0):
            out += [level] + [level - r.uniform(0.1, 3.0) for _ in range(r.randrange(2, 7))]
        return out
    raise KeyError(kind)


KINDS = ["rising, negative (a cost per step)", "rising in small steps", "flat negative",
         "flat positive, flat zero", "noisy plateau, negative", "noisy plateau, positive",
         "crossing zero", "in the thousands, small gains", "long, several plateaus"]
OPTIMIZERS = {
    "SGD, lr 0.1": lambda params: torch.optim.SGD(params, lr=0.1),
    "Adam, two groups": lambda params: torch.optim.Adam(
        [{"params": params[:1], "lr": 3e-4}, {"params": params[1:], "lr": 1e-3}]),
}


def _play(make_scheduler, report):
    """The rates of every group after each evaluation, for the scheduler under test."""
    def run(optimizer_kind, returns):
        # Parameters made without randomness: the harness checks that the global stream stays put.
        params = [torch.nn.Parameter(torch.zeros(2, 1)), torch.nn.Parameter(torch.zeros(1))]
        optimizer = OPTIMIZERS[optimizer_kind](params)
        scheduler = make_scheduler(optimizer)
        rates = []
        for value in returns:
            report(scheduler, value)
            rates.append([float(group["lr"]) for group in optimizer.param_groups])
        return rates
    return run


def _reference_scheduler(optimizer):
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="max", factor=0.5, patience=2, threshold_mode="abs")


def _diagnose(case, got, want):
    """Name the first evaluation where the rates part, with the rule's state there."""
    returns = case.inputs.args[1]
    if not (isinstance(got, list) and len(got) == len(want)):
        return
    step = next((i for i, (g, w) in enumerate(zip(got, want, strict=True))
                 if not (isinstance(g, list) and len(g) == len(w)
                         and all(abs(a - b) <= 1e-9 * abs(b) for a, b in zip(g, w, strict=True)))),
                None)
    if step is None:
        return
    best = float("-inf")
    for value in returns[: step + 1]:
        if value > best + 1e-4:
            best = value
    cut_here = want[step][0] < (want[step - 1][0] if step else float("inf"))
    what = (f"this evaluation is the 3rd in a row that does not beat the best so far, {best:g}, so "
            f"the rates are halved here, to {want[step]}" if cut_here else
            f"the best so far is {best:g}, and the rates should stay at {want[step]}")
    why = ("Your scheduler cut too soon: it did not count a real improvement as a new best (a "
           "margin bigger than 1e-4, a rounded return, the wrong direction)."
           if got[step][0] < want[step][0] else
           "Your scheduler missed a plateau (a cooldown after the last cut, a floor such as "
           "min_lr, a relative margin with a negative best, a longer patience).")
    fail(with_concept(
        f"Played the mean returns {returns[: step + 1]} through your scheduler ({case.label}): "
        f"after evaluation {step + 1} the rates are {got[step]}, but {what}. {why} Rule: a new "
        "best beats the best by more than 1e-4 (absolute, whatever the sign); after 2 "
        "evaluations in a row without one, the 3rd halves every group's rate and the count "
        "starts again at once (no cooldown, no floor). Report each return as it is.", CONCEPT),
        kind="contract", name="plateau schedule")


def test_schedule_contract(exercise):
    """The rule holds on return sequences of every kind: rising, flat, noisy, negative,
    crossing zero, in the thousands, several plateaus in a row; one or two parameter groups."""
    def inputs(draw):
        r = random.Random(draw.seed())
        return Args(draw["optimizer"], _on_grid(_returns(draw["returns"], r)))

    check_contract(Contract(
        function="make_plateau_scheduler + after_evaluation",
        call=_play(exercise.make_plateau_scheduler, exercise.after_evaluation),
        reference=_play(_reference_scheduler, lambda scheduler, value: scheduler.step(value)),
        inputs=inputs,
        axes={"returns": KINDS, "optimizer": list(OPTIMIZERS)},
        atol=0.0, rtol=1e-9, budget=12, diagnose=_diagnose, concept=CONCEPT))

"""Check: warm-up + cosine against the closed form; scheduler.step() after optimizer.step()."""

import math
import warnings

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer

BASE_LR = 0.1


def closed_form(t: int, warmup: int, total: int) -> float:
    if t < warmup:
        return (t + 1) / warmup
    if t >= total:
        return 0.0
    return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))


def make_model():
    torch.manual_seed(0)
    return torch.nn.Linear(3, 1)


def make_batches(n: int):
    generator = torch.Generator().manual_seed(0)
    return [(torch.randn(4, 3, generator=generator), torch.randn(4, 1, generator=generator))
            for _ in range(n)]


def test_schedule_matches_closed_form(exercise):
    """The learning rate of every optimizer step equals base_lr times the closed form."""
    for warmup, total in ((3, 10), (1, 5), (5, 8)):
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=BASE_LR)
        scheduler = exercise.make_scheduler(optimizer, warmup, total)
        for t in range(total + 2):
            lr = optimizer.param_groups[0]["lr"]
            want = BASE_LR * closed_form(t, warmup, total)
            if t == 0 and lr == 0:
                expect(False, "The first update (t = 0) has learning rate 0: the warm-up is off "
                       f"by one. With W = {warmup}, step 0 should use base_lr * 1/W; use "
                       "(t + 1) / W, so the first update already moves. (Hugging Face's "
                       "get_cosine_schedule_with_warmup uses t / W; this exercise does not.)")
            if t < warmup and math.isclose(lr, BASE_LR * (t + 1) / (warmup + 1), rel_tol=1e-6):
                expect(False, f"At t = {t} the rate is base_lr * (t + 1) / (W + 1), nanoGPT's "
                       "warm-up. This exercise asks for (t + 1) / W, which reaches the full "
                       f"rate at t = W - 1 = {warmup - 1}.")
            expect_close(lr, want, name=f"the learning rate at step t = {t} (W = {warmup}, "
                         f"T = {total})", atol=1e-9, rtol=1e-6,
                         concept="Warm-up (t + 1) / W for t < W, then "
                         "0.5 * (1 + cos(pi * (t - W) / (T - W))) until T, then 0.")
            optimizer.step()
            scheduler.step()


def test_multiplier_is_a_python_float(exercise):
    """lr_lambda(t) returns a Python float (not a tensor) in every phase: warm-up, cosine, after T."""
    lr_lambda = exercise.warmup_cosine(3, 10)
    for t in (0, 5, 12):
        expect_py_float(lr_lambda(t), name=f"lr_lambda({t})",
                        concept="LambdaLR multiplies base_lr by it, so a tensor would "
                        "turn the optimizer's learning rate into a tensor. Use math.cos "
                        "and math.pi on plain numbers.")


def test_multiplier_values(exercise):
    """warmup_cosine(W, T)'s lr_lambda(t) itself follows the closed form in every phase."""
    lr_lambda = exercise.warmup_cosine(3, 10)
    for t in (0, 1, 2, 3, 5, 9, 10, 12):
        value = float(lr_lambda(t))
        expect_close(value, closed_form(t, 3, 10), name=f"lr_lambda({t}) with W = 3, T = 10",
                     atol=1e-9, rtol=1e-6,
                     concept="Warm-up (t + 1) / W for t < W, then "
                     "0.5 * (1 + cos(pi * (t - W) / (T - W))) until T, then 0.")


def test_scheduler_steps_after_optimizer(exercise):
    """In train(), each update uses the current rate; the scheduler moves on after it."""
    model = make_model()
    log = EventLog()
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=BASE_LR)
    # A schedule of our own (halve every step), so only the order is judged here.
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5**t)
    n = 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about the wrong order; we explain it
        exercise.train(model, optimizer, scheduler, make_batches(n), F.mse_loss)
    used = [e.lrs[0] for e in log.steps()]
    want = [BASE_LR * 0.5**t for t in range(n)]
    expect(len(used) == n, f"Expected {n} optimizer steps for {n} batches, got {len(used)}.")
    if all(math.isclose(u, BASE_LR * 0.5 ** (t + 1)) for t, u in enumerate(used)):
        expect(False, "Every update used the learning rate meant for the next step "
               f"(used {used[:3]}..., expected {want[:3]}...): scheduler.step() runs before "
               "optimizer.step(). Call scheduler.step() after optimizer.step().",
               used=used, expected=want)
    for t, (u, w) in enumerate(zip(used, want, strict=True)):
        expect_close(u, w, name=f"the learning rate used by update {t}", rtol=1e-6,
                     concept="Call scheduler.step() exactly once per update, after "
                     "optimizer.step().")


def test_multiplier_contract(exercise):
    """The multiplier for every step up to past T, for any 0 <= W <= T: no warm-up at all
    (W = 0), warm-up to the end (W = T), one step, long schedules."""
    def schedule(warmup_cosine):
        def run(warmup, total):
            lr_lambda = warmup_cosine(warmup, total)
            return [lr_lambda(t) for t in range(total + 3)]
        return run

    check_contract(Contract(
        function="warmup_cosine", call=schedule(exercise.warmup_cosine),
        reference=schedule(lambda w, t_total: lambda t: closed_form(t, w, t_total)),
        inputs=lambda draw: Args(*draw["W, T"]),
        axes={"W, T": [(0, 6), (4, 4), (1, 1), (0, 1), (3, 10), (10, 40)]},
        atol=1e-9, rtol=1e-6,
        concept="Warm-up (t + 1) / W for t < W, then 0.5 * (1 + cos(pi * (t - W) / (T - W))) "
                "until T, then 0; with W = 0 there is no warm-up, with W = T no cosine phase, "
                "so compute (t - W) / (T - W) only where W <= t < T."))

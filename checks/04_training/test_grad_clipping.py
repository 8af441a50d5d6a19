"""Check: the global gradient norm is clipped after backward and before step."""

import copy
import math

import torch
import torch.nn.functional as F

from torchlings.testing import expect, expect_close, expect_tensor
from torchlings.testkit.spies import EventLog, global_grad_norm, spy_optimizer, watch_backward

LR = 0.1
CONCEPT = ("clip_grad_norm_(model.parameters(), max_norm) goes after backward() and before "
           "step(); it scales *all* gradients by one factor, max_norm / (global norm), when "
           "the global norm is above max_norm.")


def make_setup(seed: int):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    inputs = torch.randn(8, 4, generator=generator)
    targets = 10 * torch.randn(8, 2, generator=generator)  # big errors, big gradients
    return model, (inputs, targets)


def reference(model, batch, max_norm):
    """(clipped gradients, global norm before clipping) computed the long way."""
    ref = copy.deepcopy(model)
    inputs, targets = batch
    grads = torch.autograd.grad(F.mse_loss(ref(inputs), targets), list(ref.parameters()))
    total = global_grad_norm(grads)
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads], total


def run_spied(exercise, model, batch, max_norm):
    log = EventLog()
    watch_backward(model.parameters(), log)
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=LR)
    result = exercise.clipped_step(model, optimizer, batch, F.mse_loss, max_norm)
    return log, result


def test_gradients_clipped_at_step_time(exercise):
    """The gradients step() applies have global norm max_norm and the original direction."""
    max_norm = 1.0
    model, batch = make_setup(0)
    want, total = reference(model, batch, max_norm)
    log, _ = run_spied(exercise, model, batch, max_norm)
    steps = log.steps()
    expect(len(steps) == 1, f"Expected one optimizer.step(), got {len(steps)} "
           f"(calls: {log.describe()}).")
    seen = steps[0].grad_norm
    expect(seen < total * 0.99,
           f"At step() the global gradient norm was {seen:.4g}, but max_norm is {max_norm}: "
           "nothing was clipped by the time step() ran. Clip after backward() (before it there "
           "is nothing to clip, and backward() then fills in the full gradients) and before "
           "step() (after it, the full gradient has already been applied).\n"
           + CONCEPT, grad_norm=seen, max_norm=max_norm)
    expect(seen <= max_norm * 1.001,
           f"At step() the global gradient norm was {seen:.4g}, above max_norm={max_norm}. "
           "Clipping each tensor to max_norm separately leaves the total larger: the norm is "
           "taken over all parameters together.\n" + CONCEPT, grad_norm=seen)
    for (name, _), g, w in zip(model.named_parameters(), steps[0].grads, want, strict=True):
        expect(g is not None, f"{name}.grad was None when step() ran.")
        expect_tensor(g, name=f"the clipped gradient of {name}", values=w, atol=1e-6, rtol=1e-4,
                      concept="Every gradient is scaled by the same factor, so the direction "
                      "of the update is kept. " + CONCEPT)


def test_returns_norm_before_clipping(exercise):
    """The returned number is the global norm before clipping."""
    for seed, max_norm in ((1, 0.5), (2, 1e6)):
        model, batch = make_setup(seed)
        _, total = reference(model, batch, max_norm)
        _, result = run_spied(exercise, model, batch, max_norm)
        expect(isinstance(result, (float, int)) and not isinstance(result, bool)
               or isinstance(result, torch.Tensor) and result.numel() == 1,
               f"clipped_step should return the norm as a float, got {type(result).__name__}.")
        value = float(result)
        expect(not math.isclose(value, max_norm, rel_tol=1e-3) or max_norm > total,
               f"clipped_step returned {value:.4g}, which is max_norm: that is the norm "
               "*after* clipping. Return what clip_grad_norm_ returns, the norm before.")
        expect_close(value, total, name=f"the returned gradient norm (max_norm={max_norm})",
                     atol=1e-4, rtol=1e-4,
                     concept="The global norm is sqrt of the sum of squares over all "
                     "parameters together, before clipping, not a sum of per-tensor norms.")


def test_small_gradients_untouched(exercise):
    """Below max_norm, clipping changes nothing: the step equals plain SGD."""
    model, batch = make_setup(3)
    want, _ = reference(model, batch, 1e6)
    expected = [p.detach() - LR * g for p, g in zip(model.parameters(), want, strict=True)]
    run_spied(exercise, model, batch, 1e6)
    for (name, p), w in zip(model.named_parameters(), expected, strict=True):
        expect_tensor(p.detach(), name=f"parameter {name} after the step", values=w,
                      atol=1e-5, rtol=1e-4,
                      concept="Clipping only scales gradients down when their global norm "
                      "exceeds max_norm. " + CONCEPT)

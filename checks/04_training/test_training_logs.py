"""Check: logged losses are floats (no graphs kept), logged norms are the global norm."""

import copy
import math

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer

LR = 0.05
N = 5


def make_setup(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    batches = [(torch.randn(8, 4, generator=generator), torch.randn(8, 2, generator=generator))
               for _ in range(N)]
    return model, batches


def reference_losses(model, batches):
    ref = copy.deepcopy(model)
    optimizer = torch.optim.SGD(ref.parameters(), lr=LR)
    losses = []
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = F.mse_loss(ref(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def run(exercise, seed=0):
    model, batches = make_setup(seed)
    want_losses = reference_losses(model, batches)
    log = EventLog()
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=LR)
    result = exercise.train_and_log(model, optimizer, batches, F.mse_loss)
    expect(isinstance(result, tuple) and len(result) == 2,
           "train_and_log should return a tuple (losses, grad_norms).")
    losses, norms = result
    expect(len(losses) == N and len(norms) == N,
           f"Expected {N} losses and {N} gradient norms for {N} batches, got {len(losses)} "
           f"and {len(norms)}.")
    return losses, norms, want_losses, log.steps()


def clipping_seen(steps, norms, seed):
    """A message when step() applied gradients scaled down from the loss's own gradients."""
    model, batches = make_setup(seed)
    for k, (step, (inputs, targets)) in enumerate(zip(steps, batches, strict=False)):
        with torch.no_grad():
            for p, before in zip(model.parameters(), step.params_before, strict=True):
                p.copy_(before)
        model.zero_grad()
        F.mse_loss(model(inputs), targets).backward()
        true = [p.grad.detach().clone() for p in model.parameters()]
        true_norm = torch.sqrt(sum(g.double().pow(2).sum() for g in true)).item()
        applied = step.grad_norm
        if applied >= true_norm * (1 - 1e-4):
            continue
        scaled = all(g is not None and torch.allclose(g, t * (applied / true_norm),
                                                      atol=1e-7, rtol=1e-4)
                     for g, t in zip(step.grads, true, strict=True))
        if not scaled:
            return None
        logged = ""
        if k < len(norms) and isinstance(norms[k], float) and math.isclose(norms[k], true_norm,
                                                                           rel_tol=1e-4):
            logged = (f" The norm you logged for it, {norms[k]:.5g}, is the norm before that "
                      "scaling, so the call that measured the norm also clipped.")
        return (f"Update {k} applied gradients of global norm {applied:.5g}, but the loss's "
                f"gradients had norm {true_norm:.5g}: something between backward() and step() "
                f"scaled them down, which changed the update (and every loss after it).{logged} "
                "torch.nn.utils.clip_grad_norm_(params, max_norm) clips in place as well as "
                "returning the norm: to only measure, pass max_norm=float(\"inf\") or compute "
                "sqrt of the sum of squares yourself.")
    return None


def test_losses_are_floats(exercise):
    """Each logged loss is a Python float equal to that step's loss."""
    losses, norms, want, steps = run(exercise)
    for i, (value, w) in enumerate(zip(losses, want, strict=True)):
        if isinstance(value, torch.Tensor):
            attached = value.grad_fn is not None
            graph = f" with grad_fn={type(value.grad_fn).__name__}" if attached else ""
            expect(False,
                   f"Logged loss {i} is a tensor{graph}. "
                   + ("A tensor attached to the graph keeps the whole forward pass of that step "
                      "in memory, for as long as the list lives. " if attached else "")
                   + "Log loss.item(), a plain Python float.")
        expect(isinstance(value, float), f"Logged loss {i} is a {type(value).__name__}, "
               "expected a Python float (loss.item()).")
        if i > 0 and not math.isclose(value, w, abs_tol=1e-6, rel_tol=1e-5):
            clipped = clipping_seen(steps, norms, seed=0)
            expect(clipped is None, f"Logged loss {i} is {value:.5g}, expected {w:.5g}. "
                   f"{clipped}", actual=value, expected=w)
        expect_close(value, w, name=f"logged loss {i}", atol=1e-6, rtol=1e-5,
                     concept="Log the loss of each batch, computed before that update.")


def test_norms_are_global(exercise):
    """Each logged gradient norm is the global norm of the gradients step() applied."""
    _, norms, _, steps = run(exercise, seed=1)
    for i, (value, step) in enumerate(zip(norms, steps, strict=True)):
        w = step.grad_norm
        summed = sum(float(g.norm()) for g in step.grads if g is not None)
        expect(isinstance(value, float) and not isinstance(value, bool),
               f"Logged gradient norm {i} is a {type(value).__name__}, expected a Python float "
               "(.item()).")
        if not math.isclose(value, w, rel_tol=1e-4, abs_tol=1e-5):
            clipped = clipping_seen(steps, norms, seed=1)
            expect(clipped is None, f"Logged gradient norm {i} is {value:.5g}; the gradients "
                   f"step() applied have global norm {w:.5g}. {clipped}", actual=value,
                   expected=w)
        if abs(value - summed) <= 1e-4 * summed:
            expect(False,
                   f"Logged gradient norm {i} is {value:.5g}, the sum of the per-tensor norms; "
                   f"the global norm is {w:.5g}. Adding up per-tensor norms overcounts: the "
                   "global norm is sqrt(sum over all parameters of (grad ** 2).sum()), one "
                   "vector norm over every entry.", actual=value, expected=w)
        expect_close(value, w, name=f"logged gradient norm {i}", atol=1e-5, rtol=1e-4,
                     concept="The global gradient norm is sqrt of the sum of the squares of "
                     "every gradient entry, measured after backward() and before step().")

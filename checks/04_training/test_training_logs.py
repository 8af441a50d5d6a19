"""Check: logged losses are floats (no graphs kept), logged norms are the global norm."""

import copy
import math

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
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


LOSSES = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy}
OPTIMIZERS = {"SGD": lambda params: torch.optim.SGD(params, lr=LR),
              "Adam": lambda params: torch.optim.Adam(params, lr=0.01)}


class SpareHeadNet(torch.nn.Module):
    """An MLP that may carry a head its forward never uses: that head's .grad stays None."""

    def __init__(self, width: int, outputs: int, spare: bool) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.Tanh(),
                                        torch.nn.Linear(width, outputs))
        self.spare = torch.nn.Linear(2, 2) if spare else None

    def forward(self, inputs):
        return self.body(inputs)


def _contract_inputs(draw):
    """A small network (weights from the case's stream), a few batches, a loss, an optimizer."""
    batch, outputs = draw["batch"], draw["outputs"]
    model = SpareHeadNet(draw["width"], outputs, draw["spare_head"] == "unused").to(draw["dtype"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.5))
    batches = []
    for _ in range(draw["updates"]):
        inputs = draw.randn(batch, 3)
        targets = (draw.randint(outputs, batch) if draw["loss"] == "cross_entropy"
                   else draw.randn(batch, outputs))
        batches.append((inputs, targets))
    return Args(model, batches, loss=draw["loss"], optimizer=draw["optimizer"])


def _reference_train_and_log(model, optimizer, batches, loss_fn):
    losses, grad_norms = [], []
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        grad_norms.append(torch.sqrt(sum(g.pow(2).sum() for g in grads)).item())
        optimizer.step()
        losses.append(loss.item())
    return losses, grad_norms


def _logged_and_trained(train_and_log):
    """Run train_and_log on a fresh optimizer: what it logged, and the parameters after it."""
    def run(model, batches, *, loss, optimizer):
        optim = OPTIMIZERS[optimizer](model.parameters())
        result = train_and_log(model, optim, batches, LOSSES[loss])
        return result, [p.detach().clone() for p in model.parameters()]
    return run


def test_contract(exercise):
    """The right logs for any number of updates, batch sizes, float64 models, other losses and
    optimizers, and models with a parameter the loss never reaches (its .grad stays None)."""
    check_contract(Contract(
        function="train_and_log", call=_logged_and_trained(exercise.train_and_log),
        reference=_logged_and_trained(_reference_train_and_log), inputs=_contract_inputs,
        axes={"updates": [1, 2], "batch": [1, 5], "width": [2, 6], "outputs": [1, 3],
              "dtype": [torch.float32, torch.float64], "loss": list(LOSSES),
              "optimizer": list(OPTIMIZERS), "spare_head": ["unused", "none"]},
        budget=6, atol=1e-5, rtol=1e-4, gradients=False,
        concept="Per update: the loss before step() as loss.item(), and the global gradient "
                "norm, sqrt of the sum of squares over every gradient that exists (a parameter "
                "the loss never reached has .grad None and adds nothing), as a Python float."))

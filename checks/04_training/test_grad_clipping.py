"""Check: the global gradient norm is clipped after backward and before step."""

import copy
import math

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close, expect_tensor
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.spies import EventLog, global_grad_norm, spy_optimizer, watch_backward

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


def raw_grads(model, batch):
    """This batch's gradients, unclipped, computed on a copy."""
    ref = copy.deepcopy(model)
    inputs, targets = batch
    return torch.autograd.grad(F.mse_loss(ref(inputs), targets), list(ref.parameters()))


def same_grads(got, want) -> bool:
    return all(g is not None and torch.allclose(g, w, atol=1e-6, rtol=1e-4)
               for g, w in zip(got, want, strict=True))


def diagnose(got, raw, max_norm) -> str:
    """Name the classic clipping mistake the gradients at step time match, or ""."""
    by_value = [g.clamp(-max_norm, max_norm) for g in raw]
    if same_grads(got, by_value):
        return ("every gradient entry was clamped to [-max_norm, max_norm] on its own: that is "
                "clip_grad_value_ (the PyTorch DQN tutorial's habit). It bends the direction of "
                "the step. Use clip_grad_norm_, which scales all gradients by one factor.")
    per_tensor = [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in raw]
    if same_grads(got, per_tensor):
        return ("each parameter's gradient was clipped to max_norm on its own (one "
                "clip_grad_norm_ call per tensor): the total then stays above max_norm and the "
                "direction changes. The norm is taken over all parameters together.")
    return ""


def reference(model, batch, max_norm):
    """(clipped gradients, global norm before clipping) computed the long way."""
    grads = raw_grads(model, batch)
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
    raw = raw_grads(model, batch)
    log, _ = run_spied(exercise, model, batch, max_norm)
    steps = log.steps()
    expect(len(steps) == 1, f"Expected one optimizer.step(), got {len(steps)} "
           f"(calls: {log.describe()}).")
    story = diagnose(steps[0].grads, raw, max_norm)
    expect(not story, f"At step() {story}\n" + CONCEPT)
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
        value = expect_py_float(result, name="clipped_step's result",
                                concept="clip_grad_norm_ returns the norm as a 0-d tensor; "
                                "return float(...) of it.")
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


def test_zero_gradient_is_safe(exercise):
    """A batch the model already fits exactly (gradient 0): norm 0.0, nothing moves, no NaN."""
    model, (inputs, _) = make_setup(4)
    with torch.no_grad():
        targets = model(inputs)  # a perfect fit: every gradient is exactly zero
    before = [p.detach().clone() for p in model.parameters()]
    _, result = run_spied(exercise, model, (inputs, targets), 1.0)
    value = expect_py_float(result, name="clipped_step's result for a zero gradient")
    expect_close(value, 0.0, name="the returned norm of a zero gradient", atol=1e-6,
                 concept="A gradient of zeros has norm 0, and clipping must leave it alone. "
                 "Dividing by the norm by hand (max_norm / total) breaks here: guard it, as "
                 "clip_grad_norm_ does with a small epsilon.")
    for (name, p), b in zip(model.named_parameters(), before, strict=True):
        expect_tensor(p.detach(), name=f"parameter {name} after a zero-gradient step",
                      finite=True, values=b, atol=1e-7,
                      concept="Nothing to learn from this batch, so nothing may move. NaN here "
                      "means 0 / 0 in a hand-written scale.")


class TwoHeads(torch.nn.Module):
    """A trunk and two heads; the loss reads only the first, so the second gets no .grad."""

    def __init__(self, width: int, outputs: int) -> None:
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.Tanh())
        self.head = torch.nn.Linear(width, outputs)
        self.unused_head = torch.nn.Linear(width, 1)

    def forward(self, x):
        return self.head(self.trunk(x))


def _contract_inputs(draw):
    model = TwoHeads(draw["width"], 2).to(draw["dtype"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape))
    batch = draw["batch"]
    return Args(model, draw.randn(batch, 3), draw.randn(batch, 2, scale=10.0),
                max_norm=draw["max_norm"], groups=draw["groups"])


def _one_clipped_update(step):
    """One call with SGD (one group, or trunk and heads in two): the norm and the parameters."""
    def run(model, inputs, targets, *, max_norm, groups):
        if groups == 1:
            optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        else:
            heads = list(model.head.parameters()) + list(model.unused_head.parameters())
            optimizer = torch.optim.SGD([{"params": model.trunk.parameters()},
                                         {"params": heads, "lr": LR / 2}], lr=LR)
        norm = step(model, optimizer, (inputs, targets), F.mse_loss, max_norm)
        return norm, [p.detach().clone() for p in model.parameters()]
    return run


def test_contract(exercise):
    """For any batch (one too), width, float64, a parameter the loss never reaches (no .grad),
    the optimizer's parameters in several groups, and max_norm above or below the norm."""
    check_contract(Contract(
        function="clipped_step", call=_one_clipped_update(exercise.clipped_step),
        reference=_one_clipped_update(reference_step), inputs=_contract_inputs,
        axes={"batch": [1, 5], "width": [2, 6], "dtype": [torch.float32, torch.float64],
              "max_norm": [0.5, 1e6], "groups": [1, 2]},
        budget=8, atol=1e-5, rtol=1e-4,
        concept=CONCEPT + " Every parameter of the model counts (whatever group of the "
                "optimizer holds it), and one whose .grad is None has nothing to clip."))


def reference_step(model, optimizer, batch, loss_fn, max_norm):
    inputs, targets = batch
    optimizer.zero_grad()
    loss_fn(model(inputs), targets).backward()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(total)

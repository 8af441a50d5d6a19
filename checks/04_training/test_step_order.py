"""Check: zero_grad -> forward -> loss -> backward -> step, observed by a spy optimizer."""

import copy

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close, expect_tensor
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer, watch_backward

LR = 0.1
ORDER = "The step is: zero_grad -> forward -> loss -> backward -> step."


def make_setup(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    inputs = torch.randn(8, 4, generator=generator)
    targets = torch.randn(8, 2, generator=generator)
    # Leftover gradients, as if something had called backward earlier.
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=generator)
    return model, (inputs, targets)


def reference_step(model, batch):
    """The parameters after one correct SGD step, and the loss before it."""
    ref = copy.deepcopy(model)
    inputs, targets = batch
    loss = F.mse_loss(ref(inputs), targets)
    grads = torch.autograd.grad(loss, list(ref.parameters()))
    return [p.detach() - LR * g for p, g in zip(ref.parameters(), grads, strict=True)], loss.item()


def run_spied(exercise, model, batch):
    log = EventLog()
    handles = watch_backward(model.parameters(), log)
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=LR)
    result = exercise.train_step(model, optimizer, batch, F.mse_loss)
    for h in handles:
        h.remove()
    return log, result


def test_call_order(exercise):
    """backward runs on cleared gradients, and step comes after backward."""
    model, batch = make_setup()
    log, _ = run_spied(exercise, model, batch)
    kinds = log.kinds()
    expect("step" in kinds, f"optimizer.step() was never called (calls: {log.describe()}). "
           "Without step the parameters never move.\n" + ORDER, calls=kinds)
    expect(kinds.count("step") == 1, f"optimizer.step() was called {kinds.count('step')} times "
           f"in one train_step (calls: {log.describe()}). One step per batch.", calls=kinds)
    first_step = kinds.index("step")
    expect("backward" in kinds[:first_step],
           f"step() ran before backward() (calls: {log.describe()}). step() applies whatever "
           "is in .grad at that moment: the leftovers of the last step, not this batch's "
           "gradients.\n" + ORDER, calls=kinds)
    last_backward = max(i for i in range(first_step) if kinds[i] == "backward")
    expect("zero_grad" not in kinds[last_backward:first_step],
           f"zero_grad() ran after backward() (calls: {log.describe()}). It wiped the fresh "
           "gradients, so step() had nothing to apply.\n" + ORDER, calls=kinds)
    after_step = ("zero_grad" in kinds[first_step:])
    expect(not log.events[last_backward].stale,
           f"backward() added this batch's gradients onto old ones that were never cleared "
           f"(calls: {log.describe()}). backward() accumulates into .grad; clear it first "
           "with optimizer.zero_grad().\n"
           + ("Clearing only after step() (the nanoGPT and Hugging Face habit) assumes the "
              "model arrives clean; the docstring says it may arrive with leftovers, so clear "
              "before backward().\n" if after_step else "") + ORDER, calls=kinds)


def test_parameters_move_like_one_sgd_step(exercise):
    """After train_step the parameters equal one correct SGD step on this batch."""
    model, batch = make_setup(seed=1)
    expected, _ = reference_step(model, batch)
    run_spied(exercise, model, batch)
    names = [name for name, _ in model.named_parameters()]
    for name, p, want in zip(names, model.parameters(), expected, strict=True):
        expect_tensor(p.detach(), name=f"parameter {name} after train_step", values=want,
                      atol=1e-5, rtol=1e-4,
                      concept="One SGD step moves each parameter by -lr * (this batch's "
                      "gradient). A different value means stale, missing or wiped "
                      "gradients: check the order of the five moves.")


def test_returns_loss_before_update(exercise):
    """train_step returns this batch's loss (before the update) as a Python float."""
    model, batch = make_setup(seed=2)
    _, expected_loss = reference_step(model, batch)
    _, result = run_spied(exercise, model, batch)
    result = expect_py_float(result, name="train_step's result",
                             concept="Return loss.item(): a Python float.")
    expect_close(result, expected_loss, name="the returned loss", atol=1e-5, rtol=1e-4,
                 concept="Return the loss computed in the forward pass, before step().")

"""Check: zero_grad -> forward -> loss -> backward -> step, observed by a spy optimizer."""

import copy

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
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


LOSSES = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy,
          "bce_with_logits": F.binary_cross_entropy_with_logits}
OPTIMIZERS = {"SGD": lambda params: torch.optim.SGD(params, lr=LR),
              "Adam": lambda params: torch.optim.Adam(params, lr=0.01)}


def _contract_inputs(draw):
    """A small MLP (weights from the case's stream), a batch, a loss, maybe leftover grads."""
    dtype, batch, width, outputs = draw["dtype"], draw["batch"], draw["width"], draw["outputs"]
    model = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.Tanh(),
                                torch.nn.Linear(width, outputs)).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.5))
            if draw["grads"] == "leftover":
                p.grad = draw.randn(*p.shape)
    inputs = draw.randn(batch, 3)
    if draw["loss"] == "cross_entropy":
        targets = draw.randint(outputs, batch)
    elif draw["loss"] == "bce_with_logits":
        targets = draw.rand(batch, outputs)
    else:
        targets = draw.randn(batch, outputs)
    return Args(model, inputs, targets, loss=draw["loss"], optimizer=draw["optimizer"])


def _correct_step(model, optimizer, batch, loss_fn):
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def _after_one_step(train_step):
    """Run a train_step on a fresh optimizer; what it returned and the parameters after it."""
    def run(model, inputs, targets, *, loss, optimizer):
        optim = OPTIMIZERS[optimizer](model.parameters())
        result = train_step(model, optim, (inputs, targets), LOSSES[loss])
        return result, [p.detach().clone() for p in model.parameters()]
    return run


def _name_swapped_loss(exercise):
    def diagnose(case, got, want):
        model, inputs, targets = case.inputs.args
        loss_fn = LOSSES[case.inputs.kwargs["loss"]]
        if not isinstance(got[0], float) or targets.dtype == torch.int64:
            return
        with torch.no_grad():
            swapped = loss_fn(targets, model(inputs)).item()
        if abs(got[0] - swapped) <= 1e-5 * max(1.0, abs(swapped)) and abs(swapped - want[0]) > 1e-4:
            fail(f"With {case.label}, train_step returned {got[0]:.6g}, which is "
                 f"loss_fn(targets, prediction); the loss is loss_fn(prediction, targets). "
                 "PyTorch's losses take the prediction first and the target second, and most "
                 "are not symmetric (cross-entropy, BCE).\n" + ORDER)
    return diagnose


def test_contract(exercise):
    """One correct step for any batch (one example too), widths, float64 models, other losses
    and optimizers, with and without leftover gradients; nothing global touched."""
    check_contract(Contract(
        function="train_step", call=_after_one_step(exercise.train_step),
        reference=_after_one_step(_correct_step), inputs=_contract_inputs,
        axes={"batch": [1, 6], "width": [2, 8], "outputs": [1, 3],
              "dtype": [torch.float32, torch.float64], "loss": list(LOSSES),
              "optimizer": list(OPTIMIZERS), "grads": ["leftover", "none"]},
        budget=10, atol=1e-5, rtol=1e-4, diagnose=_name_swapped_loss(exercise),
        concept="One step on this batch: zero_grad, forward, loss_fn(prediction, targets), "
                "backward, step; the loss (before the update) returned as a Python float. "
                "It works for the model's dtype and any batch, and leaves the global random "
                "stream alone."))

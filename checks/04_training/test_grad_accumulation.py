"""Check: k micro-batches with loss / k give the same gradients and update as one batch."""

import copy

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close, expect_tensor
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer, watch_backward

LR = 0.1
CONCEPT = ("Accumulation: clear the gradients once per update (before the first micro-batch, "
           "or after step()), backward (loss / k) for each of the k micro-batches, then one "
           "step. The result must equal one step on the full batch.")
ONCE_PER_UPDATE = ("Clear the gradients once per update: optimizer.zero_grad() before the first "
                   "micro-batch, or right after step() as nanoGPT does. Never inside the "
                   "micro-batch loop, and never not at all.")


def make_setup(seed: int, batch_size: int = 12):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    inputs = torch.randn(batch_size, 5, generator=generator)
    targets = torch.randn(batch_size, 3, generator=generator)
    # The model arrives clean (.grad None), as the docstring says; gradients left
    # over from one update are caught by calling accumulate_step twice.
    return model, (inputs, targets)


def full_batch_reference(model, batch):
    ref = copy.deepcopy(model)
    inputs, targets = batch
    loss = F.mse_loss(ref(inputs), targets)
    grads = torch.autograd.grad(loss, list(ref.parameters()))
    return list(grads), loss.item()


def last_micro_batch_grads(model, batch, k):
    """The gradient of the last micro-batch's loss alone (not divided by k)."""
    ref = copy.deepcopy(model)
    inputs, targets = batch
    loss = F.mse_loss(ref(inputs.chunk(k)[-1]), targets.chunk(k)[-1])
    return list(torch.autograd.grad(loss, list(ref.parameters())))


def same(a, b, scale=1.0):
    return all(x is not None and torch.allclose(x, y * scale, atol=1e-6, rtol=1e-4)
               for x, y in zip(a, b, strict=True))


def diagnose(got, full, last, k):
    """Name the classic accumulation mistake that `got` matches, or return ""."""
    if k == 1 or same(got, full):
        return ""
    if same(got, full, k):
        return (f"the gradient at step time is {k} times the full batch's. Each micro-batch "
                f"loss is already a mean; adding {k} of them counts the data {k} times. "
                f"Divide each micro-batch loss by k before backward().")
    if same(got, last, 1 / k):
        return ("the gradient at step time is the last micro-batch's alone: clearing the "
                "gradients inside the loop wiped the earlier micro-batches. zero_grad() once per "
                "update: before the loop (or after step()).")
    if same(got, last):
        return ("the gradient at step time is the last micro-batch's alone, not divided by k: "
                "clearing the gradients inside the loop wiped the earlier micro-batches "
                "(zero_grad() once per update: before the loop, or after step()), and each loss "
                "must count 1/k.")
    return ""


def run_spied(exercise, model, batch, k, calls=1):
    """Run `calls` consecutive updates with one spy optimizer; the log and the last result."""
    log = EventLog()
    watch_backward(model.parameters(), log)
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=LR)
    result = None
    for _ in range(calls):
        result = exercise.accumulate_step(model, optimizer, batch, F.mse_loss, k)
    return log, result


def test_one_step_after_k_backward_passes(exercise):
    """Each update: k backward passes on cleared gradients, then a single step."""
    k = 3
    model, batch = make_setup(seed=0)
    log, _ = run_spied(exercise, model, batch, k, calls=2)
    kinds = log.kinds()
    expect(kinds.count("step") == 2,
           f"Expected exactly one optimizer.step() per call ({k} micro-batches), so 2 for two "
           f"calls, got {kinds.count('step')} (calls: {log.describe()}). Step once, after the "
           "last micro-batch.\n" + CONCEPT, calls=kinds)
    first, second = [i for i, kind in enumerate(kinds) if kind == "step"]
    for number, (start, stop) in enumerate(((0, first), (first + 1, second)), start=1):
        backwards = [e for e in log.events[start:stop] if e.kind == "backward"]
        expect(len(backwards) == k,
               f"Expected {k} backward passes before step() in update {number}, got "
               f"{len(backwards)} (calls: {log.describe()}).\n" + CONCEPT, calls=kinds)
        expect(not backwards[0].stale,
               f"In update {number} the first micro-batch's backward added onto the gradients "
               f"of the previous update (calls: {log.describe()}).\n" + ONCE_PER_UPDATE,
               calls=kinds)


def test_gradients_equal_full_batch(exercise):
    """The gradients applied by each step equal the full batch's gradients."""
    for seed, k in ((1, 3), (2, 4), (3, 1)):
        model, batch = make_setup(seed=seed)
        log = EventLog()
        optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=LR)
        for update in (1, 2):
            want, _ = full_batch_reference(model, batch)
            last = last_micro_batch_grads(model, batch, k)  # before the learner's update
            log.clear()
            exercise.accumulate_step(model, optimizer, batch, F.mse_loss, k)
            steps = log.steps()
            expect(steps, f"optimizer.step() was never called (k={k}).\n" + CONCEPT)
            got = steps[-1].grads
            story = diagnose(got, want, last, k)
            expect(not story, f"With k={k}, update {update}: {story}\n" + CONCEPT)
            for (name, _), g, w in zip(model.named_parameters(), got, want, strict=True):
                expect(g is not None,
                       f"{name}.grad was None at step time (k={k}).\n" + CONCEPT)
                extra = "" if update == 1 else "\n" + ONCE_PER_UPDATE
                expect_tensor(g, name=f"the gradient of {name} at step time (k={k}, update "
                              f"{update})", values=w, atol=1e-5, rtol=1e-4,
                              concept=CONCEPT + extra)


def test_update_equals_full_batch_step(exercise):
    """The parameters move exactly as one SGD step on the full batch, and the loss matches."""
    model, batch = make_setup(seed=4, batch_size=8)
    grads, loss = full_batch_reference(model, batch)
    expected = [p.detach() - LR * g for p, g in zip(model.parameters(), grads, strict=True)]
    _, result = run_spied(exercise, model, batch, 2)
    for (name, p), want in zip(model.named_parameters(), expected, strict=True):
        expect_tensor(p.detach(), name=f"parameter {name} after the update", values=want,
                      atol=1e-5, rtol=1e-4, concept=CONCEPT)
    value = expect_py_float(result, name="accumulate_step's result",
                            concept="Add up loss.item() of each (loss / k).")
    expect_close(value, loss, name="the returned full-batch loss", atol=1e-5, rtol=1e-4,
                 concept="The full-batch loss is the mean of the micro-batch losses: "
                 "the sum of each (loss / k).")


LOSSES = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy,
          "bce_with_logits": F.binary_cross_entropy_with_logits}
OPTIMIZERS = {"SGD": lambda params: torch.optim.SGD(params, lr=LR),
              "Adam": lambda params: torch.optim.Adam(params, lr=0.01)}


def _contract_inputs(draw):
    """A small MLP with weights from the case's stream, and a batch of k pieces."""
    k, outputs = draw["k"], 3
    batch = k * draw["piece"]
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(),
                                torch.nn.Linear(6, outputs)).to(draw["dtype"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.5))
    if draw["loss"] == "cross_entropy":  # class labels: a 1-D target
        targets = draw.randint(outputs, batch)
    elif draw["loss"] == "bce_with_logits":
        targets = draw.rand(batch, outputs)
    else:
        targets = draw.randn(batch, outputs)
    return Args(model, draw.randn(batch, 4), targets, loss=draw["loss"], k=k,
                optimizer=draw["optimizer"])


def _full_batch_step(model, optimizer, batch, loss_fn, k):
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def _two_updates(accumulate_step):
    """Two consecutive calls on one optimizer: the losses and the parameters after them."""
    def run(model, inputs, targets, *, loss, k, optimizer):
        optim = OPTIMIZERS[optimizer](model.parameters())
        losses = [accumulate_step(model, optim, (inputs, targets), LOSSES[loss], k)
                  for _ in range(2)]
        return losses, [p.detach().clone() for p in model.parameters()]
    return run


def test_contract(exercise):
    """Equal to full-batch steps for k from 1 to 4, pieces of one example, class-label (1-D)
    targets, float64 models, other losses and Adam, over two consecutive updates."""
    check_contract(Contract(
        function="accumulate_step", call=_two_updates(exercise.accumulate_step),
        reference=_two_updates(_full_batch_step), inputs=_contract_inputs,
        axes={"k": [1, 2, 4], "piece": [1, 3], "dtype": [torch.float32, torch.float64],
              "loss": list(LOSSES), "optimizer": list(OPTIMIZERS)},
        budget=10, atol=1e-5, rtol=1e-4,
        concept=CONCEPT + " k means k pieces (inputs.chunk(k)), not pieces of k examples, "
                "whatever the shape of the targets."))

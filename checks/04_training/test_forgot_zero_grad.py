"""Check: the explanation of the missing zero_grad, and the fixed loop."""

import copy

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer, watch_backward, watch_optimizers

LR = 0.05
N_BATCHES = 4


def make_setup(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    batches = [
        (torch.randn(6, 3, generator=generator), torch.randn(6, 2, generator=generator))
        for _ in range(N_BATCHES)
    ]
    return model, batches


def reference_train(model, batches):
    """Parameters after one clean SGD update per batch."""
    ref = copy.deepcopy(model)
    params = list(ref.parameters())
    for inputs, targets in batches:
        grads = torch.autograd.grad(F.mse_loss(ref(inputs), targets), params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= LR * g
    return [p.detach() for p in params]


def test_answer(exercise):
    """What goes wrong without zero_grad."""
    expect_choice(
        exercise, "ANSWER", correct="b",
        choices={
            "a": "nothing: backward() overwrites .grad, so each step uses only its own batch",
            "b": "each step applies the sum of the gradients of this batch and all earlier "
                 "ones",
            "c": "the optimizer raises an error on the second step because .grad is already "
                 "set",
            "d": "the gradients are averaged over all batches, so learning just gets slower",
        },
        why="backward() adds into .grad. Without zero_grad, step k applies "
        "g1 + g2 + ... + gk: old batches keep pushing, and the push grows over time.",
    )


def test_every_backward_starts_clean(exercise):
    """Each batch's backward pass lands on cleared gradients, and one step follows it."""
    model, batches = make_setup()
    log = EventLog()
    watch_backward(model.parameters(), log)
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=LR)
    exercise.train(model, optimizer, batches, F.mse_loss)
    kinds = log.kinds()
    backwards = [i for i, k in enumerate(kinds) if k == "backward"]
    steps = [i for i, k in enumerate(kinds) if k == "step"]
    expect(len(backwards) == N_BATCHES and len(steps) == N_BATCHES,
           f"For {N_BATCHES} batches expected {N_BATCHES} backward passes and {N_BATCHES} "
           f"steps, got {len(backwards)} and {len(steps)} (calls: {log.describe()}).",
           calls=kinds)
    for n, i in enumerate(backwards):
        expect(not log.events[i].stale,
               f"The backward pass of batch {n + 1} added onto gradients that were still in "
               f".grad from an earlier batch (calls: {log.describe()}). Clear them with "
               "optimizer.zero_grad() at the start of every iteration, before backward().",
               calls=kinds)
    for n, i in enumerate(steps):
        expect(log.events[i].grad_norm > 0,
               f"Step {n + 1} had only zero or missing gradients to apply (calls: "
               f"{log.describe()}). zero_grad() between backward() and step() wipes the "
               "gradients just computed; put it before backward().", calls=kinds)


def test_returns_each_batch_loss(exercise):
    """train returns one Python float per batch: that batch's loss before its update."""
    model, batches = make_setup(seed=5)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    current = iter(batches)

    def loss_now():
        inputs, targets = next(current)
        return F.mse_loss(model(inputs), targets)

    with watch_optimizers(model.parameters(), loss_now) as seen:
        losses = exercise.train(model, optimizer, batches, F.mse_loss)
    before = seen.losses_before
    expect(isinstance(losses, list) and len(losses) == N_BATCHES,
           f"train should return a list with one loss per batch ({N_BATCHES}), got "
           f"{type(losses).__name__}.")
    for i, (value, want) in enumerate(zip(losses, before, strict=False)):
        expect(isinstance(value, float), f"Loss {i} is a {type(value).__name__}, expected a "
               "Python float (loss.item()).")
        expect(abs(value - want) <= 1e-5 + 1e-4 * abs(want),
               f"Loss {i} is {value:.5g}, but batch {i}'s loss before its update was "
               f"{want:.5g}. Return each batch's own loss, computed before step().")


def test_parameters_match_clean_updates(exercise):
    """After the loop, the parameters equal one clean SGD update per batch."""
    model, batches = make_setup(seed=3)
    expected = reference_train(model, batches)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    exercise.train(model, optimizer, batches, F.mse_loss)
    for (name, p), want in zip(model.named_parameters(), expected, strict=True):
        expect_tensor(p.detach(), name=f"parameter {name} after training", values=want,
                      atol=1e-5, rtol=1e-4,
                      concept="Each update should use only its own batch's gradient. "
                      "Clear .grad once per iteration, before backward().")


LOSSES = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy,
          "bce_with_logits": F.binary_cross_entropy_with_logits}
OPTIMIZERS = {"SGD": lambda params: torch.optim.SGD(params, lr=LR),
              "Adam": lambda params: torch.optim.Adam(params, lr=0.01)}


def _contract_inputs(draw):
    """A small MLP with weights from the case's stream (no .grad yet) and a few batches."""
    batch, outputs = draw["batch"], draw["outputs"]
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                                torch.nn.Linear(5, outputs)).to(draw["dtype"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.5))
    pairs = []
    for _ in range(draw["batches"]):
        if draw["loss"] == "cross_entropy":
            targets = draw.randint(outputs, batch)
        elif draw["loss"] == "bce_with_logits":
            targets = draw.rand(batch, outputs)
        else:
            targets = draw.randn(batch, outputs)
        pairs.append((draw.randn(batch, 3), targets))
    return Args(model, pairs, loss=draw["loss"], optimizer=draw["optimizer"], given=draw["given"])


def _clean_loop(model, optimizer, batches, loss_fn):
    losses = []
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _after_training(train):
    """Run a loop on a fresh optimizer; the losses it returned and the parameters after it."""
    def run(model, pairs, *, loss, optimizer, given):
        # A DataLoader can be iterated (and measured) but not indexed; a generator only iterated.
        batches = list(pairs) if given == "list" else (pair for pair in pairs)
        losses = train(model, OPTIMIZERS[optimizer](model.parameters()), batches, LOSSES[loss])
        return losses, [p.detach().clone() for p in model.parameters()]
    return run


def test_contract(exercise):
    """Clean updates for one batch or several, a batch of one example, float64 models, other
    losses and optimizers, and batches that come from a generator."""
    check_contract(Contract(
        function="train", call=_after_training(exercise.train),
        reference=_after_training(_clean_loop), inputs=_contract_inputs,
        axes={"batches": [1, 3], "batch": [1, 4], "outputs": [1, 3],
              "dtype": [torch.float32, torch.float64], "loss": list(LOSSES),
              "optimizer": list(OPTIMIZERS), "given": ["list", "generator"]},
        budget=10, atol=1e-5, rtol=1e-4,
        concept="One clean update per batch (zero_grad before backward), for whatever "
                "iterable of (inputs, targets) batches arrives, any loss_fn(prediction, "
                "targets) and the model's own dtype; each batch's loss (before its update) "
                "as a Python float."))

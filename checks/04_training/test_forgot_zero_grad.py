"""Check: the explanation of the missing zero_grad, and the fixed loop."""

import copy

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor
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

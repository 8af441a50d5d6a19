"""Check: a value-only step leaves the policy head alone (gradients set to None)."""

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer

CONCEPT = ("optimizer.zero_grad() (set_to_none=True) leaves .grad as None where backward "
           "does not reach, and optimizers skip None. A zero gradient is not skipped: Adam's "
           "momentum keeps moving that parameter.")
LEFTOVERS = ("critic_step is called right after a full actor-critic update, so the model "
             "arrives with that update's gradients still in .grad (the docstring says so). "
             "Clear them at the start of critic_step, before backward(). Clearing only after "
             "step(), as nanoGPT and the Hugging Face examples do, works only when every "
             "update in the program does it.")


class ActorCritic(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh())
        self.policy = torch.nn.Linear(16, 2)
        self.value_head = torch.nn.Linear(16, 1)

    def forward(self, obs):
        h = self.trunk(obs)
        return self.policy(h), self.value_head(h).squeeze(-1)

    def value(self, obs):
        return self.value_head(self.trunk(obs)).squeeze(-1)


def make_setup(seed: int = 0, log: EventLog | None = None):
    """A model and an Adam optimizer straight after a full actor-critic update.

    That update cleared before its backward, as the course does, so its gradients
    are still in .grad, and Adam has momentum for every parameter.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ActorCritic()
    if log is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    else:
        optimizer = spy_optimizer(torch.optim.Adam, model.parameters(), log, lr=0.01)
    obs = torch.randn(8, 4, generator=generator)
    logits, values = model(obs)
    loss = logits.logsumexp(-1).mean() + values.pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if log is not None:
        log.clear()
    returns = torch.randn(8, generator=generator)
    return model, optimizer, obs, returns


def fresh_value_grads(model, obs, returns):
    """The gradient of this batch's value loss alone, for every parameter (None: not reached)."""
    params = list(model.parameters())
    loss = F.mse_loss(model.value(obs), returns)
    return torch.autograd.grad(loss, params, allow_unused=True)


def test_a_model_that_never_ran_backward(exercise):
    """critic_step works on a fresh model whose parameters have no .grad at all yet."""
    torch.manual_seed(4)
    model = ActorCritic()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(4)
    obs, returns = torch.randn(8, 4, generator=generator), torch.randn(8, generator=generator)
    want = F.mse_loss(model.value(obs), returns).item()
    try:
        loss = exercise.critic_step(model, optimizer, obs, returns)
    except AttributeError as error:
        if "NoneType" not in str(error):
            raise
        expect(False, f"critic_step stopped on a model that never ran backward: {error}. A "
               "parameter's .grad is None until backward() first reaches it, so code that "
               "clears gradients by hand (p.grad.zero_()) must skip None, or let "
               "optimizer.zero_grad() do it.\n" + CONCEPT)
    expect_py_float(loss, name="the loss critic_step returns")
    expect(abs(loss - want) < 1e-5, f"critic_step returned {loss:.6f} on a fresh model; this "
           f"batch's value loss is {want:.6f}.\n" + CONCEPT)


def test_step_applies_no_policy_gradient(exercise):
    """When step() runs, the policy head's .grad is None: no leftovers, no zeros."""
    log = EventLog()
    model, optimizer, obs, returns = make_setup(seed=1, log=log)
    exercise.critic_step(model, optimizer, obs, returns)
    steps = log.steps()
    expect(len(steps) == 1, f"Expected one optimizer.step() in critic_step, got {len(steps)} "
           f"(calls: {log.describe()}).")
    names = [n for n, _ in model.named_parameters()]
    policy = [(n, g) for n, g in zip(names, steps[0].grads, strict=True)
              if n.startswith("policy.")]
    for name, grad in policy:
        if grad is not None and bool((grad != 0).any()):
            cleared_after = "zero_grad" in log.kinds()[log.kinds().index("step"):]
            expect(False, f"{name}.grad still held the last full update's gradient when step() "
                   "ran, so step() applied it again. "
                   + (LEFTOVERS if cleared_after else "The gradients were never cleared. "
                      + LEFTOVERS), calls=log.kinds())
        expect(grad is None,
               f"{name}.grad was a tensor of zeros when step() ran, expected None. " + CONCEPT)


def test_value_gradient_is_this_batch_only(exercise):
    """The value head's gradient at step time is this batch's value-loss gradient, nothing added."""
    log = EventLog()
    model, optimizer, obs, returns = make_setup(seed=3, log=log)
    for call in range(2):
        want = fresh_value_grads(model, obs, returns)
        log.clear()
        exercise.critic_step(model, optimizer, obs, returns)
        steps = log.steps()
        expect(steps, f"optimizer.step() was never called (call {call + 1}).")
        for (name, _), got, w in zip(model.named_parameters(), steps[0].grads, want,
                                     strict=True):
            if w is None:
                continue
            expect(got is not None, f"{name}.grad was None at step time: backward() never "
                   "reached it. The value loss is F.mse_loss(model.value(obs), returns).")
            expect_tensor(got, name=f"{name}.grad at step time (call {call + 1})", values=w,
                          atol=1e-6, rtol=1e-4,
                          concept="Each critic step applies this batch's value-loss gradient "
                          "only; a larger one means gradients from before were added in. "
                          + LEFTOVERS)


def test_policy_head_untouched(exercise):
    """Two critic steps do not move the policy head."""
    model, optimizer, obs, returns = make_setup()
    before = {n: p.detach().clone() for n, p in model.policy.named_parameters()}
    for _ in range(2):
        exercise.critic_step(model, optimizer, obs, returns)
    for name, p in model.policy.named_parameters():
        expect_tensor(p.detach(), name=f"policy.{name} after two critic steps",
                      values=before[name], atol=0, rtol=0,
                      concept="The critic step's loss does not depend on the policy head, "
                      "yet it moved. " + CONCEPT)


def test_value_head_learns(exercise):
    """The critic step still trains the value head and the trunk, and returns the loss."""
    model, optimizer, obs, returns = make_setup(seed=2)
    start = F.mse_loss(model.value(obs), returns).item()
    before = [p.detach().clone() for p in model.value_head.parameters()]
    first = expect_py_float(exercise.critic_step(model, optimizer, obs, returns),
                            name="critic_step's result",
                            concept="Return the loss as loss.item().")
    expect(abs(first - start) < 1e-5,
           f"critic_step returned {first}, but the value loss before the update was {start}.")
    after = list(model.value_head.parameters())
    moved = any(not torch.equal(b, p) for b, p in zip(before, after, strict=True))
    expect(moved, "The value head did not move: the critic step must still call backward() "
           "and optimizer.step().")


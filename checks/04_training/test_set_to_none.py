"""Check: a value-only step leaves the policy head alone (gradients set to None)."""

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
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
    def __init__(self, obs_dim: int = 4, actions: int = 2, hidden: int = 16) -> None:
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(obs_dim, hidden), torch.nn.Tanh())
        self.policy = torch.nn.Linear(hidden, actions)
        self.value_head = torch.nn.Linear(hidden, 1)

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
    trainable = [p for p in params if p.requires_grad]  # a frozen one is the contract's to name
    grads = iter(torch.autograd.grad(loss, trainable, allow_unused=True))
    return [next(grads) if p.requires_grad else None for p in params]


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



OPTIMIZERS = {
    "Adam": lambda params: torch.optim.Adam(params, lr=0.01),
    "AdamW": lambda params: torch.optim.AdamW(params, lr=0.01, weight_decay=0.1),
    "SGD+momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
}


def _full_update(model, optimizer, obs):
    """An actor-critic update that clears before its backward: it leaves its grads behind."""
    logits, values = model(obs)
    optimizer.zero_grad()
    (logits.logsumexp(-1).mean() + values.pow(2).mean()).backward()
    optimizer.step()


def _contract_inputs(draw):
    model = ActorCritic(draw["obs_dim"], draw["actions"], hidden=6).to(draw["dtype"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.5))
    batch, obs_dim = draw["batch"], draw["obs_dim"]
    return Args(model, draw.randn(batch, obs_dim), draw.randn(batch), draw.randn(batch, obs_dim),
                optimizer=draw["optimizer"], arrives=draw["arrives"])


def _between_full_updates(critic_step):
    """As the docstring places it: (a full update,) two critic steps, then a full update.

    The parameters after all of it and the critic steps' losses are the observable effect:
    a policy head that moved, or that can no longer learn, shows in them.
    """
    def run(model, obs, returns, other_obs, *, optimizer, arrives):
        optim = OPTIMIZERS[optimizer](model.parameters())
        if arrives == "after a full update":
            _full_update(model, optim, other_obs)
        losses = [critic_step(model, optim, obs, returns) for _ in range(2)]
        _full_update(model, optim, other_obs)
        trainable = [p.requires_grad for p in model.parameters()]
        return losses, [p.detach().clone() for p in model.parameters()], trainable
    return run


def _name_frozen_parameters(case, got, want):
    if isinstance(got, tuple) and len(got) == 3 and got[2] != want[2]:
        fail(f"With {case.label}, critic_step left parameters with requires_grad=False, so the "
             "next full actor-critic update could not train them. Leave requires_grad alone: "
             "a .grad of None already makes the optimizer skip a parameter for this step. "
             + CONCEPT)


def _correct_step(model, optimizer, obs, returns):
    optimizer.zero_grad(set_to_none=True)
    loss = F.mse_loss(model.value(obs), returns)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_contract(exercise):
    """Between full updates, for Adam, AdamW and SGD with momentum, any batch (one too), obs and
    action sizes, float64, a fresh model or one with leftovers: the policy head stays put."""
    check_contract(Contract(
        function="critic_step", call=_between_full_updates(exercise.critic_step),
        reference=_between_full_updates(_correct_step), inputs=_contract_inputs,
        axes={"batch": [1, 5], "obs_dim": [3, 4], "actions": [2, 3],
              "dtype": [torch.float32, torch.float64], "optimizer": list(OPTIMIZERS),
              "arrives": ["after a full update", "fresh"]},
        budget=8, atol=1e-5, rtol=1e-4, diagnose=_name_frozen_parameters,
        concept=CONCEPT + " And nothing else of the model changes: the next full update must "
                "still train the policy head (requires_grad stays as it was)."))

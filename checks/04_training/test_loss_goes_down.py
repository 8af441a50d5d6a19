"""Check: 100 updates on fixed targets bring the Q-network's loss far down."""

import math

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_close, record_series
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.spies import EventLog, watch_backward, watch_optimizers

STEPS = 100
CONCEPT = ("Each update: optimizer.zero_grad(), loss = F.mse_loss(model(obs), target_q), "
           "loss.backward(), optimizer.step(), then log loss.item().")


class QNetwork(torch.nn.Module):
    def __init__(self, obs_dim: int = 4, n_actions: int = 2, hidden: int = 64) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(obs_dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_actions)
        )

    def forward(self, obs):
        return self.net(obs)


def make_setup(seed: int = 0):
    torch.manual_seed(seed)
    model = QNetwork()
    generator = torch.Generator().manual_seed(seed)
    obs = torch.randn(32, 4, generator=generator)
    # Smooth targets a small network can fit: a fixed function of the observation.
    w = torch.randn(4, 2, generator=generator)
    target_q = torch.tanh(obs @ w) * 2 + 1
    return model, obs, target_q


def sum_reduction(label, value, mse, target_q):
    """A message when the logged loss is the MSE times the batch size or the element count."""
    if not isinstance(value, float) or mse <= 0:
        return None
    for factor, what in ((target_q.numel(), f"all {target_q.numel()} entries of target_q"),
                         (target_q.shape[0], f"the {target_q.shape[0]} rows of the batch")):
        if math.isclose(value, factor * mse, rel_tol=1e-4):
            return (f"{label} is {value:.5g}, {factor} times the mean squared error "
                    f"{mse:.5g}: the squared errors are summed over {what} (reduction=\"sum\") "
                    "instead of averaged. A summed loss grows with the batch size, and so do "
                    "its gradients. Use the mean, F.mse_loss's default reduction.")
    return None


def test_one_optimizer_logged_losses(exercise):
    """One optimizer made once, one step per update, each logged loss the loss before its update."""
    torch.set_num_threads(1)
    model, obs, target_q = make_setup(seed=1)
    huber: list[float] = []

    def mse_now():
        prediction = model(obs)
        huber.append(F.smooth_l1_loss(prediction, target_q).item())
        return F.mse_loss(prediction, target_q)

    with watch_optimizers(model.parameters(), mse_now) as seen:
        losses = exercise.fit(model, obs, target_q, steps=20)
    expect(isinstance(losses, list), f"fit should return a list of losses, got "
           f"{type(losses).__name__}.")
    expect(len(seen.optimizers) <= 1,
           f"{len(seen.optimizers)} different optimizers stepped model's parameters in one call "
           "of fit: the optimizer is built inside the loop. A fresh Adam forgets its running "
           "averages every time, so each update is a different, cruder step. Build it once, "
           "before the loop.\n" + CONCEPT, optimizers=len(seen.optimizers))
    expect(len(seen.losses_before) == 20,
           f"fit(steps=20) called optimizer.step() {len(seen.losses_before)} times on model's "
           "parameters; expected 20, one per update, on one optimizer built over "
           "model.parameters().\n" + CONCEPT)
    expect(len(losses) == 20, f"fit(steps=20) logged {len(losses)} losses, expected 20: "
           "one loss per update.")
    for i, (value, want) in enumerate(zip(losses, seen.losses_before, strict=True)):
        expect(isinstance(value, float),
               f"Logged loss {i} is a {type(value).__name__}, expected a Python float "
               "(loss.item()): a list of loss tensors keeps every step's graph alive.")
        if i == 0 and abs(value - huber[0]) <= 1e-5 + 1e-4 * abs(huber[0]):
            expect(False, f"Logged loss 0 is {value:.5g}, the Huber loss (smooth_l1_loss) of "
                   f"the first batch; its MSE is {want:.5g}. Stable-Baselines3's DQN and the "
                   "PyTorch DQN tutorial use Huber; this exercise asks for plain MSE: "
                   "F.mse_loss(model(obs), target_q).")
        if i == 0:
            summed = sum_reduction("Logged loss 0", value, want, target_q)
            expect(summed is None, str(summed), actual=value, expected=want)
        expect_close(value, want, name=f"logged loss {i}", atol=1e-5, rtol=1e-4,
                     concept="Log each update's own MSE loss, computed before its step().")


def test_loss_goes_down(exercise):
    """The loss falls below a quarter of where it started, and the model really fits."""
    # Tiny tensors: extra threads only add waiting on a busy CPU (this runs in its own process).
    torch.set_num_threads(1)
    model, obs, target_q = make_setup()
    with torch.no_grad():
        start = F.mse_loss(model(obs), target_q).item()
    log = EventLog()
    hooks = watch_backward(model.parameters(), log)
    try:
        losses = exercise.fit(model, obs, target_q, steps=STEPS)
    finally:
        for hook in hooks:
            hook.remove()
    expect(isinstance(losses, list), f"fit should return a list of losses, got "
           f"{type(losses).__name__}.")
    expect(len(losses) == STEPS, f"fit made {len(losses)} logged updates, expected {STEPS}: "
           "one loss per update.")
    expect(all(isinstance(v, float) for v in losses),
           "Every logged loss should be a Python float (loss.item()), not a tensor: a list of "
           "loss tensors keeps every step's graph alive.")
    record_series("loss", losses)
    summed = sum_reduction("The first logged loss", losses[0], start, target_q)
    expect(summed is None, str(summed), actual=losses[0], expected=start)
    expect_close(losses[0], start, name="the first logged loss", atol=1e-5, rtol=1e-4,
                 concept="Log the loss computed before each update; the first is the loss of "
                 "the untrained network.")
    with torch.no_grad():
        end = F.mse_loss(model(obs), target_q).item()
    stale = [i for i, e in enumerate(log.of_kind("backward")) if e.stale]
    passes = len(log.of_kind("backward"))
    expect(end < 0.25 * start or not stale,
           f"After {STEPS} updates the loss is {end:.4g}; it started at {start:.4g}. It should "
           f"drop below a quarter of that ({0.25 * start:.4g}). The gradients are not "
           f"cleared between updates: backward pass {stale[0] + 1 if stale else 0} added its "
           f"gradients onto those of the pass before ({len(stale)} of {passes} passes did). "
           "backward() accumulates into .grad, so each step() applies the sum of every "
           "gradient so far. Call optimizer.zero_grad() once per update, before "
           "loss.backward().\n" + CONCEPT, start=start, end=end)
    expect(end < 0.25 * start,
           f"After {STEPS} updates the loss is {end:.4g}; it started at {start:.4g}. It should "
           f"drop below a quarter of that ({0.25 * start:.4g}). Flat: is step() called, and on an "
           "optimizer that holds model's parameters? Rising: is the loss minimised, not "
           "maximised? Slow: try a larger learning rate (Adam, 1e-2).\n" + CONCEPT,
           start=start, end=end)
    expect(losses[-1] < 0.4 * losses[0],
           f"The model fits, but the logged losses do not show it (first {losses[0]:.4g}, last "
           f"{losses[-1]:.4g}). Log each update's own loss.", first=losses[0], last=losses[-1])


def _contract_inputs(draw):
    """A small Q-network (weights from the case's stream), a batch of observations, targets."""
    obs_dim, n_actions = draw["obs_dim"], draw["n_actions"]
    model = QNetwork(obs_dim, n_actions, hidden=8).to(draw["dtype"])
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, scale=0.5))
    obs = draw.randn(draw["batch"], obs_dim)
    target_q = draw.randn(draw["batch"], n_actions)
    return Args(model, obs, target_q, steps=draw["steps"])


def _what_the_loop_did(fit):
    """Run fit under watch; what it promises: how many updates and logs, floats, each logged
    loss the MSE just before its update, one optimizer. Optimizer and learning rate are the
    learner's choice, so the values are judged against this run's own updates."""
    def run(model, obs, target_q, *, steps):
        with watch_optimizers(model.parameters(),
                              lambda: F.mse_loss(model(obs), target_q)) as seen:
            losses = fit(model, obs, target_q, steps=steps)
        floats = isinstance(losses, list) and all(isinstance(v, float) for v in losses)
        before = seen.losses_before
        logged_right = floats and len(losses) == len(before) and all(
            math.isclose(v, w, rel_tol=1e-4, abs_tol=1e-6) for v, w in zip(losses, before,
                                                                           strict=True))
        count = len(losses) if isinstance(losses, list) else -1
        return count, len(before), floats, logged_right, len(seen.optimizers) <= 1
    return run


def _reference_fit(model, obs, target_q, steps=100):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(obs), target_q)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _say_what_broke(case, got, want):
    count, updates, floats, logged_right, one_optimizer = got
    steps = case.inputs.kwargs["steps"]
    where = f"With {case.label}, "
    expect(count == steps and updates == steps,
           where + f"fit(steps={steps}) logged {count} losses and made {updates} optimizer "
           f"steps on model's parameters; expected {steps} of each.\n" + CONCEPT)
    expect(floats, where + "fit should return a list of Python floats (loss.item()).")
    expect(one_optimizer, where + "more than one optimizer stepped the model: build it once, "
           "before the loop.")
    expect(logged_right, where + "a logged loss is not the MSE of model(obs) just before its "
           "update: log each update's own F.mse_loss, in the model's dtype.\n" + CONCEPT)


def test_contract(exercise):
    """The loop keeps its promise for any steps, batch of one, more actions, a float64 model."""
    torch.set_num_threads(1)
    check_contract(Contract(
        function="fit", call=_what_the_loop_did(exercise.fit),
        reference=_what_the_loop_did(_reference_fit), inputs=_contract_inputs,
        axes={"steps": [1, 3], "batch": [1, 6], "obs_dim": [1, 4], "n_actions": [1, 3],
              "dtype": [torch.float32, torch.float64]},
        budget=6, gradients=False, diagnose=_say_what_broke, concept=CONCEPT))

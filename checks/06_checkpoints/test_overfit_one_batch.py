"""Check: training on one fixed batch drives the loss to almost zero.

The run happens once (a module fixture), watched from outside: which batches
the model trained on and how many Adam optimizers are built. Each test then
states one fact, in the order in which they explain one another. Last, the
contract: generated models and batches (a batch of one, float64, gradients
left over in .grad), each run replayed with Adam on the batch the model trained
on, losses and final weights compared.
"""

import copy
import warnings
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from torchlings.checkapi.testing import expect, fail, record_series, with_concept
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

STEPS = 100
LR = 2e-2
# Adam at this lr spikes now and then near the bottom (of this sampler's first twelve
# batches, the worst ends 100 steps at 4e-3, the first three near 2e-5), while a broken
# pipeline stays near 1: the bar sits well between.
THRESHOLD = 1e-2
CONCEPT = (
    "Overfitting one batch: draw ONE batch before the loop, build the optimizer once, and "
    "train on that batch every step with predictions and targets of the same shape "
    "(squeeze(-1) the (B, 1) predictions); the loss must fall to almost zero."
)


class _Sampler:
    """Hands out a new random batch of 16 noise targets each call, and counts the calls."""

    def __init__(self):
        self.generator = torch.Generator().manual_seed(5)
        self.batches = []

    def __call__(self):
        obs = torch.randn(16, 4, generator=self.generator)
        targets = torch.randn(16, generator=self.generator)
        self.batches.append((obs, targets))
        return obs, targets


LEFTOVER = ("The model came with gradients in .grad from earlier use, and they leaked into "
            "the first update: clear them before backward() (zero_grad() before backward(), "
            "not after step()).")


def _which_batch(batches, obs):
    """The index of the sampler's batch whose obs these are; -1 for obs it never handed out."""
    for index, (handed, _) in enumerate(batches):
        if obs is handed or (obs.shape == handed.shape and obs.dtype == handed.dtype
                             and torch.equal(obs.detach(), handed)):
            return index
    return -1


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    )


class _Run:
    def __init__(self, exercise):
        self.sampler = _Sampler()
        self.model = _model()
        self.adams_built = 0
        self.adam_lrs = []
        real_adam = torch.optim.Adam
        run = self

        class CountingAdam(real_adam):  # a real Adam that counts how often one is built
            def __init__(self, *args, **kwargs):
                run.adams_built += 1
                super().__init__(*args, **kwargs)
                run.adam_lrs.extend(group["lr"] for group in self.param_groups)

        # torch.optim.Adam, and the name Adam where the module imported it by itself.
        owners = [torch.optim] + ([exercise] if getattr(exercise, "Adam", None) is real_adam
                                  else [])
        for owner in owners:
            owner.Adam = CountingAdam
        initial = [p.detach().clone() for p in self.model.parameters()]
        self.seen = []  # per forward pass, which of the sampler's batches went in
        watch = self.model[0].register_forward_pre_hook(
            lambda layer, args: self.seen.append(_which_batch(self.sampler.batches, args[0])))
        try:
            # mse_loss warns when it broadcasts; kept, so the story can be told only then.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.losses = exercise.overfit_one_batch(self.model, self.sampler, steps=STEPS,
                                                         lr=LR)
        finally:
            watch.remove()
            for owner in owners:
                owner.Adam = real_adam
        self.broadcast = any("target size" in str(w.message) for w in caught)
        self.names = [name for name, _ in self.model.named_parameters()]
        self.frozen = [name for (name, p), before in
                       zip(self.model.named_parameters(), initial, strict=True)
                       if torch.equal(p.detach(), before)]
        self.final = None
        if self.sampler.batches:
            obs, targets = self.sampler.batches[self.seen[-1] if self.seen else -1]
            with torch.no_grad():
                self.final = nn.functional.mse_loss(self.model(obs).squeeze(-1), targets).item()


@pytest.fixture(scope="module")
def run(exercise):
    torch.set_num_threads(1)  # a tiny model: extra threads only add overhead on a busy CPU
    return _Run(exercise)


def test_returns_one_float_per_step(run):
    """overfit_one_batch returns a list of one Python float per step."""
    losses = run.losses
    length = f" of length {len(losses)}" if hasattr(losses, "__len__") else ""
    expect(isinstance(losses, list) and len(losses) == STEPS,
           f"overfit_one_batch should return a list with one loss per step ({STEPS}), got "
           f"{type(losses).__name__}{length}.\n" + CONCEPT)
    expect(all(isinstance(v, float) for v in losses),
           "Return the losses as Python floats (loss.item()), not tensors: a list of loss "
           "tensors keeps every step's graph alive.\n" + CONCEPT)
    record_series("loss", losses)


def test_one_batch_drawn(run):
    """The model trains on one batch: the same batch at every step."""
    calls = len(run.sampler.batches)
    expect(calls >= 1, "overfit_one_batch never called sample_batch().\n" + CONCEPT)
    batches = len(set(run.seen))
    expect(batches <= 1,
           f"sample_batch() was called {calls} times, and the model trained on {batches} "
           "different batches, so it saw a new batch of random targets at each step and "
           "could not memorise any. The sanity test draws ONE batch before the loop and "
           "trains on it every step.\n" + CONCEPT)


def test_one_optimizer_for_the_run(run):
    """The Adam optimizer is built once, before the loop, not again at every step."""
    expect(run.adams_built <= 1,
           f"torch.optim.Adam was built {run.adams_built} times during one run. A new Adam "
           "starts with empty moment estimates and takes Adam's large first step again: "
           "build the optimizer once, before the loop.\n" + CONCEPT)


def test_uses_the_learning_rate_given(run):
    """Adam gets the learning rate overfit_one_batch was called with."""
    wrong = sorted({lr for lr in run.adam_lrs if abs(lr - LR) > 1e-12})
    expect(not wrong,
           f"overfit_one_batch was called with lr={LR:g}, but Adam was built with lr="
           f"{', '.join(f'{lr:g}' for lr in wrong)}. Pass the lr argument on: "
           "torch.optim.Adam(model.parameters(), lr=lr).\n" + CONCEPT)


def test_memorises_one_batch(run):
    """The loss on the one batch falls below 1e-2 within 100 steps."""
    expect(run.final is not None, "overfit_one_batch never called sample_batch().\n" + CONCEPT)
    if run.broadcast:
        story = ("Look at the shapes the loss compares: the model returns (B, 1), the targets "
                 "are (B,), and mse_loss broadcast the two to (B, B). Make them the same shape "
                 "(squeeze(-1) the predictions).")
    elif run.frozen:
        which = ("None of the weights ever changed" if len(run.frozen) == len(run.names)
                 else f"Some weights never changed ({', '.join(run.frozen)})")
        story = (f"{which}: step() found no gradient for them. Look for zero_grad() "
                 "between backward() and step(), a forward pass under torch.no_grad() or "
                 "through .detach(), or parameters missing from the optimizer.")
    else:
        story = ("The shapes match and every weight moves, so look at the update itself: the "
                 "loss minimised (its sign, what it compares), the batch it is computed on, "
                 "and the order zero_grad(), backward(), step().")
    expect(run.final < THRESHOLD,
           f"After {STEPS} steps on one batch, the model's MSE on it is {run.final:.3g}, "
           f"expected below {THRESHOLD:g}. A model this size can memorise 16 examples, so the "
           f"pipeline is broken. {story}\n" + CONCEPT)


def test_records_the_loss_it_trains_on(run):
    """The last recorded loss is the model's real loss on the batch."""
    expect(isinstance(run.losses, list) and run.losses and run.final is not None,
           "No losses to compare.\n" + CONCEPT)
    expect(float(run.losses[-1]) < THRESHOLD,
           f"Your last recorded loss is {float(run.losses[-1]):.3g}, but the model's actual MSE "
           f"on the batch is {run.final:.3g}: record the loss you train on.\n" + CONCEPT)


# ---- the contract: generated models and batches, each run replayed with Adam -----------

@dataclass(frozen=True)
class _Batches:
    """What the sampler of one case hands out: a seeded stream of (B, obs_dim) batches."""

    seed: int
    batch: int
    obs_dim: int
    dtype: torch.dtype


class _GeneratedSampler:
    def __init__(self, spec):
        self.spec, self.batches = spec, []
        self.generator = torch.Generator().manual_seed(spec.seed)

    def __call__(self):
        spec = self.spec
        obs = torch.randn(spec.batch, spec.obs_dim, generator=self.generator, dtype=spec.dtype)
        targets = torch.randn(spec.batch, generator=self.generator, dtype=spec.dtype)
        self.batches.append((obs, targets))
        return obs, targets


def _replay(model, obs, targets, steps, lr, optimizer_class=torch.optim.Adam,
            leftover=False):
    """The promise, written once: Adam's losses (before each update), then the loss after
    the last update, and the final weights. Trains `model` itself: pass a copy. With
    `leftover`, gradients already in .grad leak into the first update (a mistake's replay)."""
    optimizer = optimizer_class(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(obs).squeeze(-1), targets)
        if not leftover:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if leftover:
            optimizer.zero_grad()
        losses.append(loss.item())
    with torch.no_grad():  # where the last update left it: a loss recorded late shows here
        late = nn.functional.mse_loss(model(obs).squeeze(-1), targets).item()
    return losses + [late], [p.detach() for p in model.parameters()]


def _copy_with_grads(model):
    """A deep copy that keeps each parameter's .grad (deepcopy alone drops it)."""
    twin = copy.deepcopy(model)
    for mine, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        if mine.grad is not None:
            theirs.grad = mine.grad.detach().clone()
    return twin


def _close(got, want, dtype):
    atol, rtol = (1e-6, 1e-4) if dtype == torch.float32 else (1e-10, 1e-8)
    return all(abs(g - w) <= atol + rtol * abs(w) for g, w in zip(got, want, strict=True))


class _Observed:
    """Runs the learner's overfit_one_batch and reports, against an Adam replay on the batch
    the model trained on, the facts the docstring promises. What the last run started from
    and returned stays here for the diagnosis; it is not part of the promise."""

    def __init__(self, exercise):
        self.exercise = exercise
        self.losses = self.weights = self.start = None

    def replay(self, came_in, **mistake):
        """Losses (one more: the loss after the last update) and weights from the model as it
        came in (the case's own, copied here), by Adam or by a mistake's replay."""
        obs, targets, steps, lr = self.start
        return _replay(_copy_with_grads(came_in), obs, targets, steps, lr, **mistake)

    def matches(self, replay, dtype, late=False):
        """Whether the last run's losses (and, unless `late`, weights) are the replay's."""
        losses, weights = replay
        losses = losses[1:] if late else losses[:-1]
        return (_close(self.losses, losses, dtype) and (late or all(
            torch.allclose(p, w, atol=1e-6, rtol=1e-5)
            for p, w in zip(self.weights, weights, strict=True))))

    def __call__(self, model, batches, *, steps, lr):
        came_in = _copy_with_grads(model)  # as it came: the replay trains this copy
        sampler = _GeneratedSampler(batches)
        seen = []
        watch = model[0].register_forward_pre_hook(
            lambda layer, args: seen.append(_which_batch(sampler.batches, args[0])))
        try:
            losses = self.exercise.overfit_one_batch(model, sampler, steps=steps, lr=lr)
        finally:
            watch.remove()
        self.losses, self.start = losses, None
        self.weights = [p.detach() for p in model.parameters()]
        floats = isinstance(losses, list) and all(type(v) is float for v in losses)
        report = {
            "number of losses": len(losses) if hasattr(losses, "__len__") else -1,
            "all losses Python floats": floats,
            "batches the model trained on": len(set(seen)),
            "losses as Adam's": False,
            "weights after as Adam's": False,
        }
        if len(set(seen)) == 1 and seen[0] >= 0:
            obs, targets = sampler.batches[seen[0]]
            self.start = (obs, targets, steps, lr)
            want_losses, want_weights = _replay(came_in, obs, targets, steps, lr)
            if floats and len(losses) == steps:
                report["losses as Adam's"] = _close(losses, want_losses[:-1], batches.dtype)
            report["weights after as Adam's"] = all(
                torch.allclose(p, w, atol=1e-6, rtol=1e-5)
                for p, w in zip(self.weights, want_weights, strict=True))
        return report


def _promised(model, batches, *, steps, lr):
    return {"number of losses": steps, "all losses Python floats": True,
            "batches the model trained on": 1, "losses as Adam's": True,
            "weights after as Adam's": True}


OBS_DIM = {"tanh, 3 inputs": 3, "relu, 6 inputs": 6}


def _generated_model(draw):
    with torch.random.fork_rng(devices=[]):  # building draws; the caller's stream stays
        torch.manual_seed(draw.seed())
        hidden, obs_dim = 16, OBS_DIM[draw["model"]]
        activation = nn.Tanh() if draw["model"].startswith("tanh") else nn.ReLU()
        model = nn.Sequential(nn.Linear(obs_dim, hidden), activation,
                              nn.Linear(hidden, hidden), activation, nn.Linear(hidden, 1))
        model.to(draw["dtype"])
        if draw["grads"] == "left over":  # earlier use left gradients in .grad
            model(torch.randn(3, obs_dim, dtype=draw["dtype"])).sum().backward()
    return model


def _diagnoser(observed):
    def diagnose(case, got, want):
        if not isinstance(got, dict):
            return
        where, lr, dtype = f"With {case.label}", case.inputs.kwargs["lr"], case.axes["dtype"]
        if got["batches the model trained on"] > 1:
            fail(with_concept(
                f"{where}, the model trained on {got['batches the model trained on']} "
                "different batches: draw ONE batch before the loop.", CONCEPT))
        if (observed.start is None or not got["all losses Python floats"]
                or got["number of losses"] != case.inputs.kwargs["steps"]):
            return  # the harness says what is missing
        if got["losses as Adam's"] and got["weights after as Adam's"]:
            return
        came_in = case.inputs.args[0]  # the harness hands each side a copy; this one is as drawn
        adam = observed.replay(came_in)
        if observed.matches(adam, dtype, late=True):
            story = ("Yours are Adam's one step later: record the loss each step trained on, "
                     "before its update, not one recomputed after it.")
        elif (case.axes["grads"] == "left over"
              and observed.matches(observed.replay(came_in, leftover=True), dtype)):
            story = LEFTOVER
        elif observed.matches(observed.replay(came_in, optimizer_class=torch.optim.AdamW),
                                  dtype):
            story = ("That is AdamW's run: its default weight decay also shrinks every "
                     "weight. The docstring asks for torch.optim.Adam.")
        else:
            story = ("Each step: the loss of the model as it is, then zero_grad(), "
                     "backward(), step() of one torch.optim.Adam built with the lr given, on "
                     "the model you were given; record that loss.")
        weights = "match" if got["weights after as Adam's"] else "differ"
        fail(with_concept(
            f"{where}, the losses are {_short(observed.losses)}, and Adam (lr={lr:g}) on the "
            f"same batch from the same start gives {_short(adam[0][:-1])}; the weights after "
            f"training {weights}. {story}", CONCEPT))
    return diagnose


def _short(values):
    return "[" + ", ".join(f"{v:.4g}" for v in values[:4]) + (", ...]" if len(values) > 4 else "]")


def test_contract(exercise):
    """The promise on other models and batches: a batch of one, float64, leftover .grad."""
    def inputs(draw):
        batches = _Batches(draw.seed(), draw["batch"], OBS_DIM[draw["model"]], draw["dtype"])
        steps, lr = draw["steps, lr"]
        return Args(_generated_model(draw), batches, steps=steps, lr=lr)

    observed = _Observed(exercise)

    check_contract(Contract(
        function="overfit_one_batch", call=observed, reference=_promised, inputs=inputs,
        # Few axes, each value paired: choosing cases from 2**7 combinations costs more than
        # the runs. One step shows the update (weights after); three, the losses' timing.
        axes={"batch": [1, 16], "dtype": [torch.float32, torch.float64],
              "model": list(OBS_DIM), "grads": ["none", "left over"],
              "steps, lr": [(1, 1e-2), (3, 5e-2)]},
        budget=6, diagnose=_diagnoser(observed), concept=CONCEPT))

"""Check: a stopped, saved, reloaded and continued run ends where the uninterrupted run ends."""

import itertools
import pickle

import pytest
import torch
from torch import nn

from torchlings.checkapi.testing import expect, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

TOTAL_STEPS = 12
STOP_AT = 5
BATCH = 8

RESUME_CONCEPT = (
    "A resumed run equals the uninterrupted one only if everything that changes from step to "
    "step is saved and restored: the model's state_dict, the optimizer's state_dict (Adam's "
    "moment estimates), the RNG state (dropout masks, sampled minibatches) and the step."
)


def _refusal(error):
    """The line of torch's weights_only error that names what it refused."""
    for line in str(error).splitlines():
        if "Unsupported global" in line:
            return line.strip().split(" was not an allowed")[0]
    return str(error).splitlines()[0]


def _data():
    generator = torch.Generator().manual_seed(11)
    x = torch.randn(64, 4, generator=generator)
    y = x @ torch.randn(4, 1, generator=generator) + 0.1 * torch.randn(64, 1, generator=generator)
    return x, y


def _fresh(seed):
    """A model with dropout and an optimizer with state, built as a new process would."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    return model, optimizer


def _train(model, optimizer, start, stop, data):
    x, y = data
    model.train()
    for _ in range(start, stop):
        index = torch.randint(0, x.shape[0], (BATCH,))  # minibatch from the global RNG
        loss = nn.functional.mse_loss(model(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


class _Run:
    """The uninterrupted run, and the interrupted one up to the moment it is saved."""

    def __init__(self, exercise, tmp_path, monkeypatch):
        data = _data()
        self.reference, reference_optimizer = _fresh(0)
        torch.manual_seed(1)
        _train(self.reference, reference_optimizer, 0, TOTAL_STEPS, data)

        self.model, self.optimizer = _fresh(0)
        torch.manual_seed(1)
        _train(self.model, self.optimizer, 0, STOP_AT, data)
        self.rng_at_save = torch.get_rng_state()
        self.path = tmp_path / "checkpoint.pt"
        exercise.save_checkpoint(self.path, self.model, self.optimizer, STOP_AT)
        expect(self.path.exists(), "save_checkpoint did not write a file at the path it was "
               "given.\n" + RESUME_CONCEPT)

        # A new process: other initial weights, a fresh optimizer, another random stream.
        self.model2, self.optimizer2 = _fresh(123)
        torch.manual_seed(999)
        self.load_calls = []
        real_load = torch.load

        def spy_load(*args, **kwargs):
            self.load_calls.append(kwargs)
            return real_load(*args, **kwargs)

        monkeypatch.setattr(torch, "load", spy_load)
        try:
            self.step = exercise.load_checkpoint(self.path, self.model2, self.optimizer2)
        except pickle.UnpicklingError as error:
            fail("load_checkpoint could not read the checkpoint with weights_only=True:\n"
                 f"  {_refusal(error)}\n"
                 "Save only plain data: model.state_dict(), optimizer.state_dict(), "
                 "torch.get_rng_state() and the step, not the model or optimizer objects.\n"
                 + RESUME_CONCEPT)
        finally:
            monkeypatch.setattr(torch, "load", real_load)
        self.rng_after_load = torch.get_rng_state()
        self.data = data


@pytest.fixture
def run(exercise, tmp_path, monkeypatch):
    return _Run(exercise, tmp_path, monkeypatch)


def test_file_loads_with_weights_only(run):
    """The checkpoint holds plain data, so torch.load(..., weights_only=True) accepts it."""
    try:
        checkpoint = torch.load(run.path, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as error:
        fail(
            "torch.load(path, weights_only=True) refuses your checkpoint file:\n"
            f"  {_refusal(error)}\n"
            "Save state_dicts, tensors and numbers (model.state_dict(), not the model object)."
            "\n" + RESUME_CONCEPT,
        )
    expect(isinstance(checkpoint, dict), "The checkpoint should be one dict of named parts, "
           f"but the file holds a {type(checkpoint).__name__}.\n" + RESUME_CONCEPT)
    for kwargs in run.load_calls:
        expect(kwargs.get("weights_only", True) is not False,
               "load_checkpoint calls torch.load with weights_only=False, which runs any code "
               "pickled into the file (plain pickle.load does the same). Use "
               "weights_only=True.\n" + RESUME_CONCEPT)


def test_step_restored(run):
    """load_checkpoint returns the step the run was saved at."""
    expect(isinstance(run.step, int) and not isinstance(run.step, bool),
           f"load_checkpoint should return the saved step as a Python int, got {run.step!r}."
           "\n" + RESUME_CONCEPT)
    expect(run.step == STOP_AT,
           f"The run was saved after step {STOP_AT}, but load_checkpoint returned {run.step}. "
           "Save the step you are given and return it.\n" + RESUME_CONCEPT)


def test_weights_restored(run):
    """After loading, the fresh model has the saved weights."""
    for (name, saved), (_, loaded) in zip(run.model.state_dict().items(),
                                          run.model2.state_dict().items(), strict=True):
        expect(torch.equal(saved, loaded),
               f"After load_checkpoint the model's {name!r} differs from the saved model's. "
               "Save model.state_dict() and restore it with model.load_state_dict(...).\n"
               + RESUME_CONCEPT)


def test_optimizer_state_restored(run):
    """After loading, Adam's moment estimates and step counts are the saved ones."""
    saved = run.optimizer.state_dict()["state"]
    loaded = run.optimizer2.state_dict()["state"]
    expect(len(loaded) == len(saved),
           f"The fresh optimizer holds state for {len(loaded)} parameter(s) after loading, the "
           f"saved one for {len(saved)}. Adam keeps running averages of each gradient "
           "(exp_avg, exp_avg_sq) and a step count; a fresh Adam starts them at zero and takes "
           "different steps. Save optimizer.state_dict() and restore it with "
           "optimizer.load_state_dict(...).\n" + RESUME_CONCEPT)
    for index, state in saved.items():
        for key, value in state.items():
            other = loaded[index][key]
            same = torch.equal(value, other) if isinstance(value, torch.Tensor) else value == other
            expect(same, f"Adam's {key!r} for parameter {index} differs after loading. "
                   "Restore optimizer.load_state_dict(...) from the checkpoint.\n"
                   + RESUME_CONCEPT)


def test_rng_restored(run):
    """After loading, torch's global random generator is where it was when the run was saved."""
    expect(torch.equal(run.rng_at_save, run.rng_after_load),
           "After load_checkpoint, torch's global RNG is not in the state it had when the run "
           "was saved, so the continued run draws other dropout masks and other minibatches "
           "than the uninterrupted one. Save torch.get_rng_state() and restore it with "
           "torch.set_rng_state(...).\n" + RESUME_CONCEPT)


def test_resumed_run_matches_bit_for_bit(run):
    """Continuing from the checkpoint ends with exactly the uninterrupted run's weights."""
    _train(run.model2, run.optimizer2, run.step, TOTAL_STEPS, run.data)
    for (name, want), (_, got) in zip(run.reference.state_dict().items(),
                                      run.model2.state_dict().items(), strict=True):
        if not torch.equal(want, got):
            worst = (want - got).abs().max().item()
            fail(f"After resuming, {name!r} differs from the uninterrupted run by up to "
                 f"{worst:.3g}. It must match bit for bit.\n{RESUME_CONCEPT}")


def test_buffers_are_restored_too(exercise, tmp_path):
    """A model's buffers (BatchNorm's running statistics) come back with its weights."""
    def fresh(seed):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
        return model, torch.optim.Adam(model.parameters(), lr=1e-2)

    model, optimizer = fresh(0)
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(3))
    for _ in range(3):
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    path = tmp_path / "with_buffers.pt"
    exercise.save_checkpoint(path, model, optimizer, 3)
    model2, optimizer2 = fresh(7)
    exercise.load_checkpoint(path, model2, optimizer2)
    restored = dict(model2.named_buffers())
    for name, buffer in model.named_buffers():
        expect(torch.equal(restored[name], buffer),
               f"After loading, the buffer {name} is {restored[name].flatten()[:3].tolist()}..., "
               f"not the saved {buffer.flatten()[:3].tolist()}...: buffers (BatchNorm's running "
               "mean and variance, its batch count) are part of the model's state but not of "
               "its parameters. Save model.state_dict(), which holds both, and load it with the "
               "default strict=True, which refuses a checkpoint that lacks a key instead of "
               "silently keeping the fresh model's values.\n" + RESUME_CONCEPT)


def test_save_leaves_the_random_stream_alone(exercise, tmp_path):
    """Saving draws no random numbers: a run that checkpoints and goes on is not disturbed."""
    model, optimizer = _fresh(0)
    before = torch.get_rng_state()
    exercise.save_checkpoint(tmp_path / "probe.pt", model, optimizer, 0)
    expect(torch.equal(before, torch.get_rng_state()),
           "save_checkpoint moved torch's global random stream (it drew a random number or "
           "re-seeded). A run that saves every few steps and keeps going then draws other "
           "dropout masks and minibatches than one that never saved, and than one resumed "
           "from that checkpoint. Read the state with torch.get_rng_state(); draw nothing.\n"
           + RESUME_CONCEPT)


# The contract: over other optimizers, models with dropout or buffers, dtypes and stopping
# points, both a run that saves and goes on and a run stopped, reloaded into fresh objects
# and continued end exactly where the run that never saved ends.
_OPTIMIZERS = {
    "Adam": lambda params: torch.optim.Adam(params, lr=1e-2),
    "AdamW": lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=0.1),
    "SGD+momentum": lambda params: torch.optim.SGD(params, lr=1e-2, momentum=0.9),
}
_MODELS = {
    "dropout": lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1)),
    "batchnorm+dropout": lambda: nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.2),
                                               nn.Linear(8, 1)),
}
CONTRACT_STEPS = 6
_paths = itertools.count()


def _build(model_kind, optimizer_kind, dtype, seed):
    torch.manual_seed(seed)
    model = _MODELS[model_kind]().to(dtype)
    return model, _OPTIMIZERS[optimizer_kind](model.parameters())


def _final_weights(model):
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _never_saved(model, optimizer, stop_at, seed, data, path_type):
    """The promise: the run that was never stopped and never saved."""
    model, optimizer = _build(model, optimizer, data[0].dtype, seed)
    torch.manual_seed(seed + 1)
    _train(model, optimizer, 0, CONTRACT_STEPS, data)
    weights = _final_weights(model)
    return {"run that saved and went on": weights, "resumed run": weights}


def _with_checkpoint(save, load, tmp_path):
    def runs(model, optimizer, stop_at, seed, data, path_type):
        kinds = (model, optimizer)
        path = tmp_path / f"contract-{next(_paths)}.pt"
        path = str(path) if path_type == "str" else path
        model, optimizer = _build(*kinds, data[0].dtype, seed)
        torch.manual_seed(seed + 1)
        _train(model, optimizer, 0, stop_at, data)
        save(path, model, optimizer, stop_at)
        _train(model, optimizer, stop_at, CONTRACT_STEPS, data)
        kept_going = _final_weights(model)

        fresh, fresh_optimizer = _build(*kinds, data[0].dtype, seed + 50)  # a new process
        torch.manual_seed(seed + 99)
        step = load(path, fresh, fresh_optimizer)
        _train(fresh, fresh_optimizer, step, CONTRACT_STEPS, data)
        return {"run that saved and went on": kept_going, "resumed run": _final_weights(fresh)}
    return runs


def _diagnose(case, got, want):
    for part in want:
        if got[part].keys() != want[part].keys():
            return
    kept, resumed = ("run that saved and went on", "resumed run")
    differs = {part: any(not torch.equal(got[part][k], want[part][k]) for k in want[part])
               for part in (kept, resumed)}
    if differs[kept] and not differs[resumed]:
        fail("A run that saved a checkpoint and kept going ended with other weights than a run "
             f"that never saved ({case.label}): save_checkpoint changes the run it saves. Save "
             "copies of the state; draw nothing from the random stream and change nothing in "
             "the model or optimizer.\n" + RESUME_CONCEPT)
    if differs[resumed]:
        fail(f"With {case.label}, the resumed run ended with other weights than the run that "
             "never stopped. Every part of the state that changes from step to step must come "
             "back: model.state_dict() (with buffers), optimizer.state_dict() whatever the "
             "optimizer, torch.get_rng_state(), and the step.\n" + RESUME_CONCEPT)


def test_resume_contract(exercise, tmp_path):
    """Other optimizers, buffers, float64, stopping early or late: resuming changes nothing."""
    def inputs(draw):
        dtype = draw["dtype"]
        x, y = _data()
        return Args(model=draw["model"], optimizer=draw["optimizer"], stop_at=draw["stop_at"],
                    seed=draw.seed() % 10_000, data=(x.to(dtype), y.to(dtype)),
                    path_type=draw["path"])

    check_contract(Contract(
        function="save_checkpoint / load_checkpoint",
        call=_with_checkpoint(exercise.save_checkpoint, exercise.load_checkpoint, tmp_path),
        reference=_never_saved, inputs=inputs,
        axes={"optimizer": list(_OPTIMIZERS), "model": list(_MODELS), "stop_at": [1, 4],
              "dtype": [torch.float32, torch.float64], "path": ["str", "Path"]},
        atol=0.0, rtol=0.0, tolerance={torch.float64: (0.0, 0.0)},  # bit for bit
        uses_rng=True, budget=6, diagnose=_diagnose, concept=RESUME_CONCEPT))

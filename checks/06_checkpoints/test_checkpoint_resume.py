"""Check: a stopped, saved, reloaded and continued run ends where the uninterrupted run ends."""

import pickle

import pytest
import torch
from torch import nn

from torchlings.checkapi.testing import expect, fail

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

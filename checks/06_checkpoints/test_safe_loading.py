"""Check: save a state_dict, and load with weights_only=True so a file cannot run code."""

import pickle

import torch
from torch import nn

from torchlings.testing import expect, fail


def _refusal(error):
    """The line of torch's weights_only error that names what it refused."""
    for line in str(error).splitlines():
        if "Unsupported global" in line:
            return line.strip().split(" was not an allowed")[0]
    return str(error).splitlines()[0]


def _model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


class _Booby:
    """An object whose unpickling runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        program = f"open({self.marker!r}, 'w').write('your loader ran code from the file')"
        return (exec, (program,))


def test_saved_file_is_a_state_dict(exercise, tmp_path):
    """save_weights writes a plain state_dict that weights_only=True can read."""
    model = _model(0)
    path = tmp_path / "weights.pt"
    exercise.save_weights(model, path)
    expect(path.exists(), "save_weights did not write a file at the path it was given.")
    try:
        loaded = torch.load(path, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as error:
        fail("torch.load(path, weights_only=True) refuses the file save_weights wrote:\n"
             f"  {_refusal(error)}\n"
             "torch.save(model, path) pickles the module object itself; save "
             "model.state_dict() instead, a dict of names to tensors.")
    expect(isinstance(loaded, dict) and set(loaded) == set(model.state_dict()),
           "The file should hold exactly model.state_dict(): a dict whose keys are "
           f"{sorted(model.state_dict())}. It holds {type(loaded).__name__}"
           + (f" with keys {sorted(loaded)}" if isinstance(loaded, dict) else "") + ".")


def test_round_trip(exercise, tmp_path):
    """Weights and buffers saved from one model load into a freshly built one."""
    source = _model(0)
    source.train()
    source(torch.randn(16, 3))  # moves BatchNorm's running statistics (buffers)
    path = tmp_path / "weights.pt"
    exercise.save_weights(source, path)
    target = _model(1)
    exercise.load_weights(target, path)
    for name, value in source.state_dict().items():
        expect(torch.equal(value, target.state_dict()[name]),
               f"After load_weights, {name!r} of the new model differs from the saved one. "
               "Load the dict and hand it to model.load_state_dict(...).")


def test_refuses_a_file_that_runs_code(exercise, tmp_path):
    """Loading a booby-trapped file raises instead of running the code inside it."""
    marker = tmp_path / "ran.txt"
    path = tmp_path / "downloaded_policy.pt"
    torch.save(_Booby(marker), path)
    raised = None
    try:
        exercise.load_weights(_model(0), path)
    except Exception as error:  # the refusal is an UnpicklingError; any error is fine
        raised = error
    if marker.exists():
        fail("Loading a file someone else made ran code hidden inside it (it wrote a file on "
             "your disk). torch.load(..., weights_only=False) executes whatever the pickle "
             "asks for. Use torch.load(path, weights_only=True), which only rebuilds tensors "
             "and plain containers and refuses everything else.")
    expect(raised is not None,
           "load_weights accepted a file that holds no state_dict without complaint.")

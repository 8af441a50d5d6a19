"""Check: save a state_dict, and load with weights_only=True so a file cannot run code.

The booby-trapped files come in both formats a loader may meet: torch.save's
zip archive and a plain pickle stream (pickle.dump). A loader that runs either
one (torch.load with weights_only=False, or Python's pickle.load, say as a
fallback when weights_only=True refuses) is caught and named.
"""

import itertools
import pickle
import warnings
import zipfile

import torch
from torch import nn

from torchlings.checkapi.testing import expect, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "Save model.state_dict() with torch.save (a dict of names to tensors), and load it with "
    "torch.load(path, weights_only=True), which rebuilds only tensors and plain containers "
    "and refuses anything else; never unpickle a file you did not write (torch.load with "
    "weights_only=False and pickle.load both run whatever code the file names)."
)


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


def _torch_load_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the pickle-protocol notice on plain pickle files
        return torch.load(path, weights_only=True)


def test_saved_file_is_a_state_dict(exercise, tmp_path):
    """save_weights writes, with torch.save, a plain state_dict that weights_only=True can read."""
    model = _model(0)
    path = tmp_path / "weights.pt"
    exercise.save_weights(model, path)
    expect(path.exists(), "save_weights did not write a file at the path it was given.\n"
           + CONCEPT)
    expect(zipfile.is_zipfile(path),
           "save_weights wrote a plain pickle stream (pickle.dump), not torch.save's format. "
           "Use torch.save(model.state_dict(), path): torch.load(path, weights_only=True) "
           "then reads it safely; a pickle stream can only be read by unpickling it, which "
           "runs code.\n" + CONCEPT)
    try:
        loaded = _torch_load_quietly(path)
    except (pickle.UnpicklingError, RuntimeError) as error:
        fail("torch.load(path, weights_only=True) refuses the file save_weights wrote:\n"
             f"  {_refusal(error)}\n"
             "The file holds an object, not just tensors: torch.save(model, path) pickles the "
             "module object itself. Save model.state_dict() instead, a dict of names to "
             "tensors.\n" + CONCEPT)
    expect(isinstance(loaded, dict) and set(loaded) == set(model.state_dict()),
           "The file should hold exactly model.state_dict(): a dict whose keys are "
           f"{sorted(model.state_dict())}. It holds {type(loaded).__name__}"
           + (f" with keys {sorted(loaded)}" if isinstance(loaded, dict) else "")
           + ". Parameters alone leave out buffers such as BatchNorm's running statistics.\n"
           + CONCEPT)


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
               "Load the dict and hand it to model.load_state_dict(...).\n" + CONCEPT)


def test_a_file_for_another_model_fails_loudly(exercise, tmp_path):
    """Weights whose names do not match the model raise, instead of loading half of them."""
    path = tmp_path / "other_policy.pt"
    torch.save(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).state_dict(), path)
    target = _model(1)
    before = {name: value.clone() for name, value in target.state_dict().items()}
    try:
        exercise.load_weights(target, path)
    except RuntimeError:
        return  # load_state_dict's own report of the missing and unexpected keys
    untouched = [name for name, value in target.state_dict().items()
                 if torch.equal(value, before[name])]
    fail("load_weights accepted weights saved from a different network (this model's "
         f"BatchNorm has no counterpart in the file) without an error; {len(untouched)} of "
         f"{len(before)} entries kept their random start. load_state_dict is strict by "
         "default for this reason: strict=False hides a file that does not fit, and the "
         "model then runs half-initialised. Leave strict at its default.\n" + CONCEPT)


def _trap(exercise, path):
    """Load a booby-trapped file; return the error load_weights raised (None if it did not)."""
    try:
        exercise.load_weights(_model(0), path)
    except Exception as error:  # the refusal is an UnpicklingError; any error is fine
        return error
    return None


def test_refuses_a_torch_file_that_runs_code(exercise, tmp_path):
    """A booby-trapped file in torch.save's format raises instead of running its code."""
    marker = tmp_path / "ran.txt"
    path = tmp_path / "downloaded_policy.pt"
    torch.save(_Booby(marker), path)
    raised = _trap(exercise, path)
    if marker.exists():
        fail("Loading a torch.save file someone else made ran code hidden inside it (it wrote "
             "a file on your disk). torch.load(..., weights_only=False) executes whatever the "
             "pickle inside asks for. Use torch.load(path, weights_only=True).\n" + CONCEPT)
    expect(raised is not None,
           "load_weights accepted a file that holds no state_dict without complaint.\n"
           + CONCEPT)


def test_refuses_a_plain_pickle_that_runs_code(exercise, tmp_path):
    """A booby-trapped plain pickle stream raises too: no fallback to pickle.load."""
    marker = tmp_path / "ran.txt"
    path = tmp_path / "downloaded_policy.pkl"
    with open(path, "wb") as file:
        pickle.dump(_Booby(marker), file)
    raised = _trap(exercise, path)
    if marker.exists():
        fail("Loading a plain pickle file (written with pickle.dump) ran code hidden inside it: "
             "your loader unpickled it with Python's pickle (pickle.load / pickle.loads, or "
             "torch.load with weights_only=False or pickle_module=pickle), perhaps as a "
             "fallback after weights_only=True refused. Let that refusal stand: when "
             "torch.load(path, weights_only=True) raises, the file is not a state_dict you "
             "should load.\n" + CONCEPT)
    expect(raised is not None,
           "load_weights accepted a file that holds no state_dict without complaint.\n"
           + CONCEPT)


# The contract: whatever the network (buffers, convolutions, float64), the weights saved from
# one model come back bit for bit into a freshly built one, in place: the loaded model keeps
# its own parameter objects and dtype, so an optimizer built on them before loading still
# trains the loaded weights.
_NETWORKS = {
    "mlp+batchnorm": lambda: nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                           nn.Linear(8, 2)),
    "conv": lambda: nn.Sequential(nn.Conv1d(3, 4, 2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2)),
    "gru": lambda: nn.GRU(3, 5, batch_first=True),
}
_files = itertools.count()
IN_PLACE = "every parameter loaded in place"


def _built(kind, dtype, seed):
    torch.manual_seed(seed)
    return _NETWORKS[kind]().to(dtype)


def _promise(source, target, path_type):
    """The saved model's state, in the target's own parameter objects."""
    return {"weights": {k: v.clone() for k, v in source.state_dict().items()}, IN_PLACE: True}


def _round_trip(save, load, tmp_path):
    def run(source, target, path_type):
        path = tmp_path / f"contract-{next(_files)}.pt"
        path = str(path) if path_type == "str" else path
        before = list(target.parameters())
        save(source, path)
        load(target, path)
        after = list(target.parameters())
        kept = len(before) == len(after) and all(a is b for a, b in zip(before, after, strict=True))
        return {"weights": {k: v.detach().clone() for k, v in target.state_dict().items()},
                IN_PLACE: kept}
    return run


def _diagnose(case, got, want):
    if isinstance(got, dict) and got.get(IN_PLACE) is False:
        fail(f"With {case.label}, load_weights replaced the model's parameters with new "
             "tensor objects (load_state_dict(..., assign=True), or setting attributes) instead "
             "of copying the saved values into them. An optimizer built before loading still "
             "holds the old parameters and would train those, not the loaded weights. Let "
             "model.load_state_dict(state) copy in place (assign stays False).\n" + CONCEPT)
    weights = got.get("weights") if isinstance(got, dict) else None
    if isinstance(weights, dict) and weights.keys() == want["weights"].keys():
        for name, value in want["weights"].items():
            if not torch.equal(weights[name], value):
                fail(f"With {case.label}, {name!r} came back different from the saved value "
                     "(largest difference "
                     f"{(weights[name].double() - value.double()).abs().max().item():.3g}). "
                     "Saving must keep every tensor exactly: no conversion to a smaller dtype, "
                     "no rounding; torch.save(model.state_dict(), path) does.\n" + CONCEPT)


def test_round_trip_contract(exercise, tmp_path):
    """Other networks, float64, str or Path: weights come back exactly, in place."""
    def inputs(draw):
        source = _built(draw["network"], draw["dtype"], draw.seed() % 10_000)
        if draw["trained"]:
            with torch.no_grad():  # change every tensor, buffers included, off its fresh start
                for value in source.state_dict().values():
                    value.add_(torch.randn(value.shape, generator=draw.generator).to(value.dtype)
                               if value.is_floating_point() else 3)
        return Args(source, _built(draw["network"], draw["dtype"], draw.seed() % 10_000),
                    draw["path"])

    check_contract(Contract(
        function="save_weights / load_weights",
        call=_round_trip(exercise.save_weights, exercise.load_weights, tmp_path),
        reference=_promise, inputs=inputs,
        axes={"network": list(_NETWORKS), "dtype": [torch.float32, torch.float64],
              "trained": [False, True], "path": ["str", "Path"]},
        atol=0.0, rtol=0.0, tolerance={torch.float64: (0.0, 0.0)},  # bit for bit
        gradients=False, budget=6, diagnose=_diagnose, concept=CONCEPT))

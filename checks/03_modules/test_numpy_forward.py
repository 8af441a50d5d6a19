"""Check: a NumPy forward pass that matches the PyTorch module."""

import numpy as np
import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import call

CONCEPT = (
    "nn.Linear stores weight as (out_features, in_features) and computes "
    "y = x @ weight.T + bias. Without the transpose a square layer gives wrong numbers "
    "silently, and any other layer a shape error."
)


def _as_tensor(result, name: str, want_shape: tuple[int, ...]) -> torch.Tensor:
    expect(
        isinstance(result, np.ndarray),
        f"{name} should be a NumPy array (np.ndarray), but it is {type(result).__name__}. "
        "Stay in NumPy: @, .T and + work on arrays.",
        kind="type", name=name, expected="np.ndarray", actual=type(result).__name__,
    )
    got = torch.from_numpy(np.asarray(result, dtype=np.float64))
    expect_tensor(got, name=name, shape=want_shape, finite=True, concept=CONCEPT)
    return got


def _linear(exercise, x, weight, bias, name):
    # Wrap NumPy's error (a ValueError) the way the runner explains shape errors.
    try:
        return _linear_keeping_arguments(exercise, x, weight, bias)
    except ValueError as exc:
        fail(
            f"{name} raised ValueError: {exc}\nweight has shape {weight.shape} "
            f"(out_features, in_features), x has shape {x.shape}.\n{CONCEPT}",
            kind="error", name=name,
        )


def _linear_keeping_arguments(exercise, x, weight, bias):
    """exercise.linear, failing if it wrote into the caller's arrays (NumPy's += does)."""
    before = [a.copy() for a in (x, weight, bias)]
    result = exercise.linear(x, weight, bias)
    for name, kept, now in zip(("x", "weight", "bias"), before, (x, weight, bias), strict=True):
        expect(np.array_equal(kept, now),
               f"linear changed its argument {name} in place: the caller's arrays (a policy's "
               "exported weights) must come back as they were. Compute a new array instead "
               "(a + b, not a += b).",
               kind="mutated", name="linear")
    return result


def test_linear_matches_nn_linear(exercise):
    """linear(x, W, b) equals nn.Linear for non-square and square layers, batched or not."""
    torch.manual_seed(0)
    for in_f, out_f in ((5, 3), (4, 4), (3, 6)):
        layer = nn.Linear(in_f, out_f)
        x = torch.randn(7, in_f, generator=torch.Generator().manual_seed(in_f * 10 + out_f))
        with torch.no_grad():
            want = layer(x).double()
        weight = layer.weight.detach().numpy()
        bias = layer.bias.detach().numpy()
        label = f"linear on a batch (7, {in_f}) with weight ({out_f}, {in_f})"
        got = _as_tensor(_linear(exercise, x.numpy(), weight, bias, label), label, (7, out_f))
        expect_tensor(got, name=label, values=want, atol=1e-5, concept=CONCEPT)
        label = f"linear on one observation ({in_f},) with weight ({out_f}, {in_f})"
        got = _as_tensor(_linear(exercise, x[0].numpy(), weight, bias, label), label, (out_f,))
        expect_tensor(got, name=label, values=want[0], atol=1e-5, concept=CONCEPT)
        label = f"linear on a batch of one (1, {in_f}) with weight ({out_f}, {in_f})"
        got = _as_tensor(_linear(exercise, x[:1].numpy(), weight, bias, label), label,
                         (1, out_f))
        expect_tensor(got, name=label, values=want[:1], atol=1e-5,
                      concept="A batch of one is still a batch: (1, in) -> (1, out). A bare "
                      "squeeze() would drop its batch dim. " + CONCEPT)


def test_numpy_forward_matches_module(exercise):
    """numpy_forward gives the module's outputs, to 1e-5, for two network sizes."""
    for obs_dim, hidden, n_actions in ((4, 4, 2), (6, 16, 3)):
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_actions))
        obs = torch.randn(9, obs_dim, generator=torch.Generator().manual_seed(hidden)) * 2
        with torch.no_grad():
            want = net(obs).double()
        params = exercise.to_numpy(net)
        label = (f"numpy_forward for Linear({obs_dim}, {hidden}) -> ReLU -> "
                 f"Linear({hidden}, {n_actions}) on (9, {obs_dim})")
        try:
            result = call(exercise.numpy_forward, params, obs.numpy(), name="numpy_forward")
        except ValueError as exc:
            fail(f"{label} raised ValueError: {exc}\n{CONCEPT}", kind="error", name=label)
        got = _as_tensor(result, label, (9, n_actions))
        expect_tensor(got, name=label, values=want, atol=1e-5, concept=CONCEPT)


_NUMPY_DTYPE = {torch.float32: np.float32, torch.float64: np.float64}


def _linear_inputs(draw):
    dtype = _NUMPY_DTYPE[draw["dtype"]]
    shape = (draw["in_f"],) if draw["batch"] is None else (draw["batch"], draw["in_f"])
    x = draw.randn(*shape, dtype=torch.float64, scale=2.0).numpy().astype(dtype)
    weight = draw.randn(draw["out_f"], draw["in_f"], dtype=torch.float64).numpy().astype(dtype)
    bias = draw.randn(draw["out_f"], dtype=torch.float64).numpy().astype(dtype)
    return Args(x, weight, bias)


def _linear_reference(x, weight, bias):
    """What nn.Linear computes, in the arrays' own dtype, worked out in float64."""
    x64, w64, b64 = (torch.from_numpy(a).double() for a in (x, weight, bias))
    return (x64 @ w64.T + b64).to(torch.from_numpy(x).dtype)


def _linear_as_tensor(exercise):
    def call(x, weight, bias):
        result = _linear_keeping_arguments(exercise, x, weight, bias)
        expect(isinstance(result, np.ndarray),
               f"linear should return a NumPy array (np.ndarray), but it returned "
               f"{type(result).__name__}. Stay in NumPy: @, .T and + work on arrays.",
               kind="type", name="linear", expected="np.ndarray", actual=type(result).__name__)
        return torch.from_numpy(np.array(result))
    return call


def test_linear_contract(exercise):
    """Any sizes (square and 1-wide included), one observation or a batch, float32 or float64."""
    check_contract(Contract(
        function="linear", call=_linear_as_tensor(exercise), reference=_linear_reference,
        inputs=_linear_inputs,
        axes={"batch": [None, 1, 5], "in_f": [1, 4], "out_f": [1, 4],
              "dtype": [torch.float32, torch.float64]},
        budget=10,
        concept="linear(x, weight, bias) is x @ weight.T + bias for x of shape (B, in) or (in,), "
        "giving (B, out) or (out,) in the arrays' own dtype (float64 in, float64 out). "
        + CONCEPT))

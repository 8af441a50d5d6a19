"""Check helpers for chapter 3 (modules): calling a learner's network safely
and observing it from outside (linearity, batch independence, which
parameters a loss reaches, whether its output is squashed), so checks accept
every architecture a docstring allows instead of looking for particular layer
objects.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from torchlings.checkapi.testing import expect, fail, fmt_shape

__all__ = [
    "expect_module",
    "call",
    "expect_not_affine",
    "expect_rows_independent",
    "expect_not_probabilities",
    "params_reached_by",
    "scaled_copy",
]

_SIZE_STORY = (
    "The sizes of consecutive layers do not line up: each nn.Linear(in_features, out_features) "
    "must take as in_features the out_features of the layer before it, and the first one the "
    "size of the input."
)


def expect_module(obj: Any, *, name: str) -> nn.Module:
    """`obj` must be an nn.Module (so it has parameters, forward, state_dict ...)."""
    expect(
        isinstance(obj, nn.Module),
        f"{name} should be a torch.nn.Module, but it is {type(obj).__name__}. Subclass nn.Module "
        "(and call super().__init__()) or build an nn.Sequential.",
        kind="type",
        name=name,
        expected="torch.nn.Module",
        actual=type(obj).__name__,
    )
    return obj


def call(fn: Callable[..., Any], *args: Any, name: str, concept: str = "") -> Any:
    """Call `fn(*args)`; a shape error (RuntimeError, IndexError) becomes a teaching failure.

    NotImplementedError is a RuntimeError in Python; it is let through so the
    runner reports the part as not done yet.
    """
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError) as exc:
        shapes = ", ".join(fmt_shape(a.shape) for a in args if isinstance(a, torch.Tensor))
        text = str(exc).strip().splitlines()[0]
        story = _SIZE_STORY if "cannot be multiplied" in text else ""
        if "must match the size of tensor" in text:
            story = (
                "Two tensors whose shapes do not line up. A reduction such as mean(dim=-1) drops "
                "that dim: (B, n) becomes (B,), which pairs with the LAST dim of (B, n), not "
                "with each row. keepdim=True keeps it as (B, 1)."
            )
        if "out of range" in text:
            story = (
                "A dimension index past the end: dim=1 exists for a batch (B, n) but not for a "
                "single row (n,). dim=-1 always means the last dimension."
            )
        message = (
            f"Calling {name} on input of shape {shapes} raised {type(exc).__name__}: {text}"
        )
        if story:
            message += "\n" + story
        if concept:
            message += "\n" + concept
        fail(message, kind="error", name=name, error=text)


def expect_not_affine(
    fn: Callable[[torch.Tensor], torch.Tensor], in_dim: int, *, name: str, concept: str = ""
) -> None:
    """Fail if `fn` is an affine map (x -> Wx + b), i.e. the nonlinearity is missing.

    For an affine f, f(x) + f(y) = f(x + y) + f(0) for every x and y; a ReLU/tanh
    network breaks that for random inputs.
    """
    generator = torch.Generator().manual_seed(1234)
    x = torch.randn(16, in_dim, generator=generator) * 3
    y = torch.randn(16, in_dim, generator=generator) * 3
    with torch.no_grad():
        lhs = fn(x) + fn(y)
        rhs = fn(x + y) + fn(torch.zeros_like(x))
    gap = (lhs - rhs).abs().max().item()
    scale = max(lhs.abs().max().item(), 1e-3)
    expect(
        gap > 1e-4 * scale,
        f"{name} behaves like a single linear layer: f(x) + f(y) == f(x + y) + f(0) for every "
        "input, so it can only fit straight lines. Stacked nn.Linear layers with nothing "
        "between them collapse into one; put an activation (nn.ReLU) after each hidden layer."
        + (f"\n{concept}" if concept else ""),
        kind="affine",
        name=name,
    )


def expect_rows_independent(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, name: str, concept: str = ""
) -> None:
    """Changing sample 0 of the batch must not change the output for samples 1..B-1."""
    changed = x.clone()
    changed[0] = changed[0] + 5.0
    with torch.no_grad():
        before = fn(x)
        after = fn(changed)
    if isinstance(before, tuple):
        before, after = before[0], after[0]
    same = torch.allclose(before[1:], after[1:], atol=1e-6, rtol=1e-5)
    expect(
        same,
        f"{name}: changing observation 0 of the batch changed the output for the other "
        f"observations (batch of {x.shape[0]}). Each row of a batch is a separate observation; "
        "an operation that mixes rows (a softmax, mean or sum over dim 0) leaks one sample into "
        "another." + (f"\n{concept}" if concept else ""),
        kind="batch_mixing",
        name=name,
    )


def expect_not_probabilities(t: torch.Tensor, *, name: str, concept: str = "") -> None:
    """Fail if every row of `t` lies in [0, 1] and sums to 1 over the last dim (a softmax)."""
    d = t.detach()
    in_unit = bool(((d >= 0) & (d <= 1)).all())
    sums_to_one = torch.allclose(d.sum(-1), torch.ones(d.shape[:-1]), atol=1e-4)
    expect(
        not (in_unit and sums_to_one),
        f"Every row of {name} lies in [0, 1] and sums to 1 over the last dim: they look like "
        "probabilities, i.e. a softmax was applied. These should be raw, unbounded numbers."
        + (f"\n{concept}" if concept else ""),
        kind="softmax",
        name=name,
    )


def params_reached_by(module: nn.Module, scalar: torch.Tensor) -> set[str]:
    """Names of the parameters of `module` that get a non-zero gradient from `scalar`."""
    module.zero_grad(set_to_none=True)
    params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    grads = torch.autograd.grad(
        scalar, [p for _, p in params], retain_graph=True, allow_unused=True
    )
    reached = zip(params, grads, strict=True)
    return {n for (n, _), g in reached if g is not None and bool(g.abs().sum() > 0)}


def scaled_copy(module: nn.Module, factor: float) -> nn.Module:
    """A deep copy of `module` with every floating parameter multiplied by `factor`.

    A probe for squashed outputs: a network that ends in a plain Linear layer gives
    outputs that grow with its weights, whatever its hidden layers (tanh, LayerNorm);
    one that ends in tanh, sigmoid, softmax or a clamp stays inside its bounds.
    """
    probe = copy.deepcopy(module)
    with torch.no_grad():
        for p in probe.parameters():
            if p.is_floating_point():
                p.mul_(factor)
    return probe

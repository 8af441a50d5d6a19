"""The contract harness: a docstring's promise, stated once, tried on inputs nobody foresaw.

A check hands over the learner's function, a reference written from the
docstring, and a way to build inputs from a `Draw`; the harness tries them on
a spread of cases (every value of every axis at least once, pairs of axis
values as far as the budget allows) and, per case, judges:

- the output's structure, type (a promised float is a Python float, not an
  int or a tensor), shape, dtype, device, non-finite places (-inf stays -inf),
  and values within explicit tolerances per dtype;
- whether a graph is kept: a tensor the reference returns without a graph
  must come back without one, one with a graph must keep it;
- gradients: a random weighting of the outputs is backpropagated, in both, to
  every input tensor and module parameter that requires grad; right values on
  a wrong graph (a detached mean, a stop-gradient in the wrong place) fail;
- the caller's tensors untouched, the caller's networks in the modes (train/eval) and
  with the requires_grad they came in, PyTorch's global switches as they were, and
  the global random stream unmoved unless the contract says the lesson uses it.

The check's teaching diagnosis stays on top: when a case breaks the promise,
`diagnose(case, got, want)` runs first and may fail with the check's own
words; the harness's plain account (which case, what differs) is the fallback.

Comparing a result with the promise is testkit.promise. Why a seeded generator of our own,
not hypothesis: see docs/AUTHORING.md.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from torchlings.checkapi.failures import CheckFailure, fail, with_concept
from torchlings.checkapi.global_state import GlobalState, expect_global_state_kept
from torchlings.checkapi.testing import record_contract
from torchlings.checkapi.testkit.contracts import InputSnapshot, ModuleSnapshot
from torchlings.checkapi.testkit.promise import compare

__all__ = ["Args", "Case", "Contract", "Draw", "check_contract", "EXTREME_LOGIT"]

GRADIENT_PROBLEM = "the values match, but the gradient that flows back"
RESULT = "the result"  # how the harness's account names what the learner returned
_RESULT_KEY = re.compile(re.escape(RESULT) + r"\[([^\]]+)\]")
EXTREME_LOGIT = 1000.0  # far past exp()'s float32 range (about 88): only a max-shifted form survives

# (atol, rtol) for dtypes other than float32, whose tolerance the contract gives.
_TOLERANCE = {torch.float64: (1e-9, 1e-7), torch.float16: (1e-2, 1e-2), torch.bfloat16: (5e-2, 2e-2)}


@dataclass
class Args:
    """The inputs of one call: `Args(x, mask, dim=-1)`."""

    args: tuple
    kwargs: dict

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


class Draw:
    """One case's choices (`draw["batch"]`) and a seeded stream to build its tensors from."""

    def __init__(self, axes: dict[str, Any], seed: int) -> None:
        self.axes = axes
        self.generator = torch.Generator().manual_seed(seed)
        self.random = random.Random(seed)

    def __getitem__(self, axis: str) -> Any:
        return self.axes[axis]

    def get(self, axis: str, default: Any = None) -> Any:
        return self.axes.get(axis, default)

    @property
    def device(self) -> torch.device:
        """The case's device: the "device" axis ("meta" tries device-generic code with no GPU)."""
        return torch.device(self.axes.get("device", "cpu"))

    def randn(self, *shape: int, dtype: torch.dtype | None = None, scale: float = 1.0) -> torch.Tensor:
        dtype = dtype or self.axes.get("dtype", torch.float32)
        x = torch.randn(shape, generator=self.generator, dtype=torch.float64).to(dtype) * scale
        return x.to(self.device)

    def rand(self, *shape: int, dtype: torch.dtype | None = None) -> torch.Tensor:
        dtype = dtype or self.axes.get("dtype", torch.float32)
        x = torch.rand(shape, generator=self.generator, dtype=torch.float64).to(dtype)
        return x.to(self.device)

    def randint(self, high: int, *shape: int, low: int = 0) -> torch.Tensor:
        return torch.randint(low, high, shape, generator=self.generator).to(self.device)

    def seed(self) -> int:
        return self.random.randrange(2**31)


@dataclass
class Case:
    label: str
    inputs: Args
    axes: dict[str, Any]
    problem: str = ""  # set before `diagnose` runs: what the harness found, in its words

    @property
    def gradient_problem(self) -> bool:
        """The values were right and the gradient was not."""
        return self.problem.startswith(GRADIENT_PROBLEM)

    @property
    def result_key(self) -> str:
        """Where in a dict or sequence result the harness found the difference: "next_obs"
        for the result['next_obs'], "1" for the result[1]; "" when not inside the result."""
        found = _RESULT_KEY.search(self.problem)
        return found.group(1).strip("'") if found else ""


@dataclass
class Contract:
    """A function's promise. `reference(*args, **kwargs)` returns what the docstring promises."""

    function: str  # as the learner knows it: "policy_stats"
    call: Callable[..., Any]
    reference: Callable[..., Any]
    inputs: Callable[[Draw], Args]
    axes: dict[str, Sequence[Any]] = field(default_factory=dict)
    atol: float = 1e-5  # float32's; other dtypes use _TOLERANCE (or `tolerance`)
    rtol: float = 1e-5
    tolerance: dict[torch.dtype, tuple[float, float]] = field(default_factory=dict)
    # Compare gradients: always, never, or on the cases this says (e.g. moderate logits only,
    # where a gradient of 0 * inf at an underflowed probability is no lesson of the exercise).
    gradients: bool | Callable[[dict[str, Any]], bool] = True
    uses_rng: bool = False  # the lesson is the random stream: it may move
    untouched: bool = True  # the caller's tensors must come back as they were
    diagnose: Callable[[Case, Any, Any], None] | None = None
    concept: str = ""
    budget: int = 12
    seed: int = 0


def check_contract(contract: Contract) -> None:
    """Try the promise on every case; fail on the first one it breaks."""
    record_contract(contract.function)
    for case in cases(contract):
        _check_case(contract, case)


def cases(contract: Contract) -> Iterator[Case]:
    for index, axes in enumerate(choose_axes(contract.axes, contract.budget, contract.seed)):
        draw = Draw(axes, seed=contract.seed * 1_000 + index)
        label = ", ".join(f"{k}={_axis_text(v)}" for k, v in axes.items()) or "the first case"
        yield Case(label, contract.inputs(draw), axes)


def choose_axes(axes: dict[str, Sequence[Any]], budget: int, seed: int) -> list[dict[str, Any]]:
    """Up to `budget` combinations: every axis value at least once, then as many pairs as fit.

    Greedy and seeded, so a check tries the same cases on every run and machine.
    """
    names = list(axes)
    every = [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]
    if len(every) <= budget:
        return every
    random.Random(seed).shuffle(every)

    # Each candidate's axis values and pairs of them, keyed once: a contract with many axes has
    # hundreds of candidates, and rebuilding these per greedy round cost more than the cases.
    keys = [[(a, _key(c[a])) for a in names] for c in every]
    singles = [frozenset(k) for k in keys]
    pairs = [frozenset(x + y for x, y in itertools.combinations(k, 2)) for k in keys]
    singles_left = set().union(*singles)
    pairs_left = set().union(*pairs)
    left = list(range(len(every)))
    chosen: list[dict[str, Any]] = []
    while left and len(chosen) < budget:
        best = max(left, key=lambda i: (len(singles[i] & singles_left), len(pairs[i] & pairs_left)))
        left.remove(best)
        chosen.append(every[best])
        singles_left -= singles[best]
        pairs_left -= pairs[best]
    return chosen


def _key(value: Any) -> str:
    return repr(value)


def _axis_text(value: Any) -> str:
    return str(value).removeprefix("torch.")


def _check_case(contract: Contract, case: Case) -> None:
    mine, theirs = _copy_inputs(case.inputs), _copy_inputs(case.inputs)
    with torch.random.fork_rng(devices=[]):
        want = contract.reference(*theirs.args, **theirs.kwargs)
    snapshot = InputSnapshot(**_named_tensors(mine))
    networks = ModuleSnapshot(**_named_modules(mine))
    state, rng = GlobalState.capture(), torch.get_rng_state()
    got = _call_learner(contract, mine, case)
    expect_global_state_kept(state, when=f"after a call of {contract.function} ({case.label})")
    if contract.untouched:
        snapshot.expect_untouched(function=f"{contract.function} ({case.label})",
                                  concept=contract.concept)
    if not contract.uses_rng and not torch.equal(rng, torch.get_rng_state()):
        _fail(contract, case, "it drew from (or re-seeded) the global random stream "
              "(torch.manual_seed / torch.rand without a generator): calling it changes every "
              "random number the rest of the program draws. It needs no randomness; leave the "
              "global stream alone.", got, want)
    problem = compare(got, want, lambda dtype: _tolerance(contract, dtype), where=RESULT)
    judge_gradients = (contract.gradients(case.axes) if callable(contract.gradients)
                       else contract.gradients)
    if problem is None and judge_gradients:
        problem = _compare_gradients(contract, mine, theirs, got, want)
    if problem is None:  # after the result: a contract that returns a network's flags judges them first
        problem = next((f"it changed the caller's {name}: {how}"
                        for name, how in networks.changes()), None)
    if problem is not None:
        _fail(contract, case, problem, got, want)


def _call_learner(contract: Contract, inputs: Args, case: Case) -> Any:
    try:
        return contract.call(*inputs.args, **inputs.kwargs)
    except (CheckFailure, NotImplementedError, AssertionError):
        raise
    except Exception as error:
        # The learner's own line stays in the traceback; the message gains which case, and
        # the idea to revisit.
        if len(error.args) == 1 and isinstance(error.args[0], str):
            error.args = (with_concept(f"{error.args[0]}\n(raised by {contract.function} with "
                                       f"{case.label})", contract.concept),)
        raise


def _fail(contract: Contract, case: Case, problem: str, got: Any, want: Any) -> None:
    case.problem = problem
    if contract.diagnose is not None:
        contract.diagnose(case, got, want)  # the check's own words, when it recognises the mistake
    fail(with_concept(
        f"{contract.function} keeps its promise on the example but not on every input the "
        f"docstring allows. With {case.label} ({_describe(case.inputs)}): {problem}",
        contract.concept), kind="contract", name=contract.function)


def _describe(inputs: Args) -> str:
    parts = []
    for name, value in _named_values(inputs):
        if isinstance(value, torch.Tensor):
            parts.append(f"{name}: {value.dtype} {tuple(value.shape)}".replace("torch.", ""))
        elif isinstance(value, nn.Module):
            parts.append(f"{name}: {type(value).__name__}")
        elif isinstance(value, (int, float, bool, str)):
            parts.append(f"{name}={value!r}")
    return ", ".join(parts) or "no arguments"


def _named_values(inputs: Args) -> list[tuple[str, Any]]:
    return [(f"argument {i + 1}", v) for i, v in enumerate(inputs.args)] + list(inputs.kwargs.items())


def _named_tensors(inputs: Args) -> dict[str, torch.Tensor]:
    return {name: v for name, v in _named_values(inputs) if isinstance(v, torch.Tensor)}


def _named_modules(inputs: Args) -> dict[str, nn.Module]:
    return {name: v for name, v in _named_values(inputs) if isinstance(v, nn.Module)}


def _copy_inputs(inputs: Args) -> Args:
    """Fresh copies per call: tensors keep their requires_grad and .grad; modules are deep-copied."""
    copied = Args(*(_copy(v) for v in inputs.args), **{k: _copy(v) for k, v in inputs.kwargs.items()})
    return copied


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        out = value.detach().clone().requires_grad_(value.requires_grad)
        if value.grad is not None:
            out.grad = value.grad.detach().clone()
        return out
    if isinstance(value, nn.Module):
        module = copy.deepcopy(value)
        # deepcopy drops a parameter's .grad; a used module (gradients already there) must
        # reach both calls as it is, as a tensor input does.
        for mine, theirs in zip(value.parameters(), module.parameters(), strict=True):
            if mine.grad is not None:
                theirs.grad = mine.grad.detach().clone()
        return module
    if isinstance(value, (list, dict, tuple)):
        return copy.deepcopy(value)
    return value


def _leaves(inputs: Args) -> list[torch.Tensor]:
    leaves = []
    for _, value in _named_values(inputs):
        if isinstance(value, torch.Tensor) and value.requires_grad and value.is_leaf:
            leaves.append(value)
        elif isinstance(value, nn.Module):
            leaves.extend(p for p in value.parameters() if p.requires_grad)
    return leaves


def _tensors_of(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors_of(v)]
    if isinstance(value, dict):
        return [t for k in sorted(value, key=str) for t in _tensors_of(value[k])]
    return []


def _compare_gradients(contract: Contract, mine: Args, theirs: Args, got: Any, want: Any) -> str | None:
    want_out = [t for t in _tensors_of(want) if t.requires_grad and t.is_floating_point()]
    got_out = [t for t in _tensors_of(got) if t.requires_grad and t.is_floating_point()]
    want_leaves, got_leaves = _leaves(theirs), _leaves(mine)
    if not want_out or not want_leaves or len(got_out) != len(want_out):
        return None
    if any(t.is_meta for t in want_out):
        return None  # no values on the meta device, so no gradients to compare
    weights = torch.Generator().manual_seed(contract.seed + 7)
    total_want = torch.zeros((), dtype=torch.float64)
    total_got = torch.zeros((), dtype=torch.float64)
    for w_out, g_out in zip(want_out, got_out, strict=True):
        weight = torch.randn(w_out.shape, generator=weights, dtype=torch.float64)
        finite = torch.isfinite(w_out.detach())
        weight = torch.where(finite, weight, torch.zeros_like(weight))  # -inf entries carry no gradient
        total_want = total_want + (w_out.double().where(finite, 0.0) * weight).sum()
        total_got = total_got + (g_out.double().where(finite, 0.0) * weight).sum()
    ref = torch.autograd.grad(total_want, want_leaves, allow_unused=True)
    yours = torch.autograd.grad(total_got, got_leaves, allow_unused=True)
    for index, (r, y, leaf) in enumerate(zip(ref, yours, want_leaves, strict=True)):
        r = torch.zeros_like(leaf) if r is None else r
        y = torch.zeros_like(leaf) if y is None else y
        atol, rtol = _tolerance(contract, leaf.dtype)
        if not torch.allclose(y.double(), r.double(), atol=atol * 10, rtol=rtol * 10, equal_nan=True):
            worst = (y.double() - r.double()).abs().max().item()
            return (f"{GRADIENT_PROBLEM} to input tensor/parameter #{index + 1} (shape "
                    f"{tuple(leaf.shape)}) does not (largest difference {worst:.3g}). Something in "
                    "the graph is cut (a .detach() or .item() "
                    "in the wrong place, a value built outside autograd) or added: the "
                    "numbers are right, what training would learn from them is not.")
    return None


def _tolerance(contract: Contract, dtype: torch.dtype) -> tuple[float, float]:
    if dtype in contract.tolerance:
        return contract.tolerance[dtype]
    if dtype == torch.float32:
        return contract.atol, contract.rtol
    return _TOLERANCE.get(dtype, (contract.atol, contract.rtol))

"""Check: a torch.compile'd model matches the eager model, within float32 rounding.

torch.compile needs a working backend. The default, inductor, writes C++ on a
CPU and needs a C++ compiler (and Python's headers). Before anything else this
check compiles a one-line function: where inductor cannot run it falls back to
the "aot_eager" backend (no compiler needed) and says so in a note; where no
backend works at all, every test is skipped with the reason, never hidden.
"""


import pytest
import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, fail, note
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

BACKEND_UNAVAILABLE = (
    "torch.compile could not run on this machine ({why}). This is not your code, and this "
    "exercise is not checked here: {advice}"
)
NEEDS_COMPILER = "try it where a C++ compiler (g++ or clang++) and Python's headers are installed."
NEEDS_DYNAMO = "try it with a Python version and platform that torch.compile supports."


def _probe(backend: str) -> str | None:
    """Compile and run a one-line function with `backend`; the error text, or None."""
    torch._dynamo.reset()
    try:
        compiled = torch.compile(lambda t: torch.relu(t) * 2 + 1, backend=backend)
        out = compiled(torch.arange(-2.0, 2.0))
        if not torch.allclose(out, torch.relu(torch.arange(-2.0, 2.0)) * 2 + 1):
            return "the compiled probe computed wrong numbers"
    except Exception as exc:  # noqa: BLE001 - any failure means: this backend does not work here
        lines = str(exc).strip().splitlines()
        return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:200]
    finally:
        torch._dynamo.reset()
    return None


@pytest.fixture(scope="module", autouse=True)
def backend():
    """Find a working backend; fall back to aot_eager only where inductor cannot run."""
    if not torch._dynamo.is_dynamo_supported():
        pytest.skip(BACKEND_UNAVAILABLE.format(
            why="torch.compile does not support this Python version or platform",
            advice=NEEDS_DYNAMO))
    problem = _probe("inductor")
    if problem is None:
        note("torch.compile ran with its default backend, inductor (generated C++ code).")
        yield "inductor"
        return
    fallback_problem = _probe("aot_eager")
    if fallback_problem is not None:
        pytest.skip(BACKEND_UNAVAILABLE.format(
            why=f"inductor: {problem}; aot_eager: {fallback_problem}", advice=NEEDS_COMPILER))
    # Every torch.compile call that names no backend (model.compile() included) now
    # uses aot_eager: it traces the model as inductor would, without generating C++.
    original = torch.compile

    def compile_with_fallback(model=None, **kwargs):
        kwargs.setdefault("backend", "aot_eager")
        return original(model, **kwargs)

    torch.compile = compile_with_fallback
    note(f"inductor could not run here ({problem}), so torch.compile was checked with the "
         "'aot_eager' backend: the model is traced and compiled, but no C++ is generated.")
    try:
        yield "aot_eager"
    finally:
        torch.compile = original


class TinyPolicy(nn.Module):
    """A small policy network with dropout, so train and eval mode differ.

    A class of its own, as a real policy is: model.compile() on a bare nn.Sequential
    compiles nothing in recent PyTorch (its forward lives in torch.nn, which
    torch.compile does not trace from the top), so it would be an unfair test model.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 32)
        self.dropout = nn.Dropout(0.5)
        self.head = nn.Linear(32, 2)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(torch.relu(self.hidden(obs))))


def make_policy(seed=0):
    torch.manual_seed(seed)
    return TinyPolicy()


def make_obs():
    return torch.randn(16, 4, generator=torch.Generator().manual_seed(1))


def eval_reference(model, obs):
    """The eval-mode output of a separate, never-compiled copy of `model`.

    Built from the state_dict into a fresh TinyPolicy before the learner's code
    runs, so an in-place model.compile() cannot make the reference compiled too.
    """
    reference = TinyPolicy()
    reference.load_state_dict(model.state_dict())
    reference.eval()
    with torch.no_grad():
        return reference(obs)


def graphs_compiled() -> int:
    """How many graphs torch.compile has produced in this process.

    Counted from dynamo's own statistics, which grow for every correct way of
    compiling: torch.compile(model), fullgraph=True, model.compile(), a compiled
    forward. (Dynamo's frame counter alone misses fullgraph=True.)
    """
    return torch._dynamo.utils.counters["stats"]["unique_graphs"]


def watch_calls(model) -> list[bool]:
    """Record, for each call of `model`, whether it ran as compiled code (True) or eagerly.

    A forward pre-hook sees torch.compiler.is_compiling(): False in an eager call,
    True when the call runs inside a compiled graph.
    """
    seen: list[bool] = []
    model.register_forward_pre_hook(lambda _m, _a: seen.append(torch.compiler.is_compiling()))
    return seen


COMPILE_CONCEPT = (
    "torch.compile(model) returns a wrapper to call instead of the model (model.compile() "
    "compiles it in place). Calling the original model, or a wrapper that was never "
    "compiled, just runs eager code again. Look at compile_model and the call that makes "
    "the compiled output."
)
IN_PLACE = (
    "model.compile() works in place: after it, model(obs) runs compiled code too, so the "
    "'eager' output is compiled and the comparison proves nothing. Take the eager output "
    "before compiling in place, or use torch.compile(model), which leaves model eager."
)


def test_compile_model_compiles(exercise):
    """compile_model returns something that torch.compile really compiles, same numbers."""
    torch._dynamo.reset()
    model = make_policy().eval()
    obs = make_obs()
    want = eval_reference(model, obs)
    compiled = exercise.compile_model(model)
    expect(callable(compiled),
           f"compile_model should return the compiled model to call, got "
           f"{type(compiled).__name__}.\n" + COMPILE_CONCEPT)
    before = graphs_compiled()
    with torch.no_grad():
        out = compiled(obs)
    expect(graphs_compiled() > before,
           "Calling what compile_model returned compiled nothing: it runs as plain eager "
           "PyTorch.\n" + COMPILE_CONCEPT)
    expect_tensor(out, name="the compiled model's output", shape=(16, 2), dtype=torch.float32,
                  values=want, atol=1e-5, rtol=1e-4,
                  concept="A compiled model computes the same function as the eager one.")


def test_eager_and_compiled_agree(exercise):
    """eager_and_compiled compares like with like: eval mode, and the compiled model."""
    torch._dynamo.reset()
    model = make_policy(seed=2)  # left in training mode, as a fresh model is
    obs = make_obs()
    want = eval_reference(model, obs)
    calls = watch_calls(model)
    before = graphs_compiled()
    pair = exercise.eager_and_compiled(model, obs)
    expect(isinstance(pair, tuple) and len(pair) == 2,
           "eager_and_compiled should return a pair: (eager output, compiled output).")
    eager, compiled = pair
    eval_concept = ("In training mode dropout zeroes a random half of the hidden units on "
                    "every call (and doubles the rest), so no two calls agree. Call "
                    "model.eval() before comparing.")
    expect_tensor(eager, name="the eager output", shape=(16, 2), values=want, atol=1e-5,
                  rtol=1e-4, concept=eval_concept)
    expect(graphs_compiled() > before,
           "eager_and_compiled never ran compiled code: its second output came from the "
           "eager model again.\n" + COMPILE_CONCEPT)
    expect(False in calls,
           "eager_and_compiled never called the model eagerly: every call ran compiled "
           "code, so its 'eager output' is compiled too.\n" + IN_PLACE)
    expect_tensor(compiled, name="the compiled output", shape=(16, 2), values=want,
                  atol=1e-5, rtol=1e-4, concept=eval_concept)


def test_outputs_match_tolerance(exercise):
    """outputs_match allows float32 rounding and rejects a real difference."""
    generator = torch.Generator().manual_seed(3)
    eager = torch.randn(64, 4, generator=generator)
    # A few units in the last place, as reordered float32 sums produce.
    noise = torch.rand(64, 4, generator=generator) * 2 - 1
    rounded = eager * (1 + 4e-7 * noise)
    assert not torch.equal(eager, rounded)  # the test must see a difference
    different = eager + 1e-2
    # Outputs that cancel to about 0 (Q-values of a balanced state, a centred advantage):
    # float32 rounding of terms of size 1 leaves an absolute error near 1e-7 there, which no
    # relative tolerance can absorb.
    near_zero = torch.zeros(64, 4)
    near_zero[::2] = 3e-8
    cancelled = near_zero + 1e-7 * (torch.rand(64, 4, generator=generator) * 2 - 1)
    tolerance = ("Fused compiled code rounds float32 differently in the last digits, so "
                 "compare with torch.allclose (or torch.testing.assert_close) and a "
                 "tolerance around rtol=1e-5, atol=1e-6: tight enough to catch a real "
                 "difference, loose enough for rounding.")
    for a, b, want, what in (
        (eager, eager.clone(), True, "two identical outputs"),
        (eager, rounded, True, "outputs that differ only by float32 rounding (~4e-7)"),
        (eager, different, False, "outputs that differ by 0.01 everywhere"),
        (near_zero, cancelled, True, "outputs near 0 that differ by float32 rounding of terms "
         "of size 1 (~1e-7 absolute); a relative tolerance alone (atol=0) calls them different"),
    ):
        got = exercise.outputs_match(a, b)
        expect(isinstance(got, bool),
               f"outputs_match should return a Python bool (True or False), as its signature "
               f"says; it returned a {type(got).__name__}. A one-element tensor works in an "
               "`if` but not in `is True`, JSON or a log line: bool(...) or .item() turns it "
               "into one.")
        expect(bool(got) == want,
               f"outputs_match returned {bool(got)} for {what}; expected {want}.\n"
               + tolerance)


ROUNDING = 4e-7  # relative: a few units in the last place of float32, as reordered sums give
REAL = 1e-3  # relative to the outputs' size: a difference no rounding makes
DIFFERENCES = {  # how the "compiled" output differs from the eager one; should they match?
    "identical": True,
    "float32 rounding": True,
    "rounding near 0": True,
    "one output off by 0.1%": False,
    "every output off by 0.1%": False,
}


def _pair(draw):
    rows, scale, difference = draw["rows"], draw["scale"], draw["difference"]
    eager = draw.randn(rows, 4) * scale
    compiled = eager.clone()
    if difference == "float32 rounding":
        compiled = eager * (1 + ROUNDING * (draw.rand(rows, 4) * 2 - 1))
    elif difference == "rounding near 0":  # outputs that cancel to ~0 from terms of size 1
        eager = (draw.rand(rows, 4) - 0.5) * 6e-8
        compiled = eager + 1e-7 * (draw.rand(rows, 4) * 2 - 1)
    elif difference == "one output off by 0.1%":
        compiled[rows // 2, 1] += REAL * scale
    elif difference == "every output off by 0.1%":
        compiled = eager + REAL * scale
    return Args(eager, compiled)


def test_outputs_match_contract(exercise):
    """outputs_match tells rounding from a real difference at every size: 1 row or 64,
    outputs near 1 or near 1000 (rounding grows with them), one element off or all."""
    def diagnose(case, got, want):
        if not isinstance(got, bool):
            return  # the harness says what a bool is
        difference, scale = case.axes["difference"], case.axes["scale"]
        told = f"outputs_match said {got} for {difference} (outputs of size about {scale:g})"
        if want and difference == "float32 rounding" and scale > 1:
            fail(f"{told}. Rounding grows with the numbers: near 1000 a few units in the last "
                 f"place are about {ROUNDING * scale:.0e} apart, more than a fixed atol "
                 "allows. The tolerance needs a relative part: torch.allclose(eager, compiled, "
                 "rtol=1e-5, atol=1e-6) scales it with each output.")
        if not want and difference.startswith("one output"):
            fail(f"{told}: one element of {case.axes['rows'] * 4} is off by "
                 f"{REAL * scale:g}, and a mean or a sum over all of them hides it. Compare "
                 "element by element, as torch.allclose does: every output must agree.")
        if not want:
            fail(f"{told}: that is a real difference, far more than float32 rounding. The "
                 "tolerance is too loose (atol=1 lets almost anything through); rtol=1e-5, "
                 "atol=1e-6 is about right.")

    check_contract(Contract(
        function="outputs_match", call=exercise.outputs_match,
        reference=lambda eager, compiled: torch.allclose(eager, compiled, rtol=1e-5, atol=1e-6),
        inputs=_pair,
        axes={"rows": [1, 64], "scale": [1.0, 1000.0], "difference": list(DIFFERENCES)},
        budget=20, diagnose=diagnose,
        concept="Fused compiled code rounds float32 differently in the last digits: compare "
                "element by element with a relative and an absolute tolerance, "
                "torch.allclose(eager, compiled, rtol=1e-5, atol=1e-6)."))

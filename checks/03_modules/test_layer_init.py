"""Check: PPO-style initialisation (orthogonal weights, per-head gains, zero biases), in place."""

import math

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import expect_module

OBS, ACTIONS, HIDDEN = 4, 3, 64
# Orthogonality and gain are exact up to float32 rounding; 1e-3 leaves room for any method.
TOL = 1e-3
CONCEPT_ORTHO = (
    "nn.init.orthogonal_(layer.weight, gain=g) makes the rows of the weight (or its columns, "
    "when it has more rows than columns) orthonormal and scales them by g, so W @ W.T == g**2 * I."
)
CONCEPT_IN_PLACE = (
    "Initialise the tensors the layer already owns, in place: nn.init.orthogonal_(layer.weight, "
    "gain=gain) and nn.init.zeros_(layer.bias). An optimizer built before (or anything else "
    "holding the parameter) keeps pointing at the old nn.Parameter object if you assign a new one."
)


def _run(fn, *args, name: str):
    """Call the learner's function; explain the two errors in-place initialisation runs into."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except RuntimeError as exc:
        text = str(exc).strip().splitlines()[0]
        if "leaf" in text and "in-place" in text:
            fail(
                f"{name} raised RuntimeError: {text}\nA parameter requires grad, so autograd "
                "refuses to let you overwrite it in place while it is recording. The nn.init "
                "functions switch recording off for you; if you fill the weight by hand "
                "(weight.copy_(...), weight.zero_()), do it inside `with torch.no_grad():`.",
                kind="error", name=name, error=text,
            )
        raise
    except TypeError as exc:
        text = str(exc).strip().splitlines()[0]
        if "cannot assign" in text:
            fail(
                f"{name} raised TypeError: {text}\nlayer.weight is a registered nn.Parameter; "
                "nn.Module refuses to replace it with a plain tensor (the optimizer would never "
                f"see a plain tensor).\n{CONCEPT_IN_PLACE}",
                kind="error", name=name, error=text,
            )
        raise


def _gram(weight: torch.Tensor) -> torch.Tensor:
    """W W^T for a wide or square W, W^T W for a tall one: g**2 * I when W is orthogonal."""
    w = weight.detach().double()
    return w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w


def _expect_orthogonal(weight: torch.Tensor, before: torch.Tensor, gain: float, *, name: str):
    w = weight.detach()
    expect(
        tuple(w.shape) == tuple(before.shape),
        f"{name}'s weight changed shape from {tuple(before.shape)} to {tuple(w.shape)}. "
        "Initialisation fills the existing weight; it never changes the layer's sizes.",
        kind="shape", name=name, expected=tuple(before.shape), actual=tuple(w.shape),
    )
    expect(
        not torch.equal(w, before),
        f"{name}'s weight is exactly what it was before initialisation: this layer was not "
        "changed. Either it was skipped, or a copy of it was initialised (copy.deepcopy(layer), "
        f"layer.weight.clone(), a new nn.Linear) and the real one left alone.\n{CONCEPT_IN_PLACE}",
        kind="unchanged", name=name,
    )
    expect(
        bool(torch.isfinite(w).all()),
        f"{name}'s weight holds NaN or inf after initialisation.",
        kind="finite", name=name,
    )
    gram = _gram(w)
    measured = math.sqrt(max(gram.diagonal().mean().item(), 0.0))
    gap = (gram / max(measured**2, 1e-30) - torch.eye(gram.shape[0], dtype=gram.dtype)).abs()
    expect(
        measured > 0 and gap.max().item() < TOL,
        f"{name}'s weight {tuple(w.shape)} is not orthogonal: W @ W.T (or W.T @ W for a tall "
        f"weight) is not a multiple of the identity; the largest gap, after scaling, is "
        f"{gap.max().item():.3g}. PyTorch's default init and xavier_/kaiming_ draw each entry "
        f"independently, which gives rows of random lengths and angles.\n{CONCEPT_ORTHO}",
        kind="not_orthogonal", name=name,
    )
    expect_close(
        measured, gain, name=f"the gain of {name}",
        rtol=TOL, atol=0.0,
        concept=f"{name} should be orthogonal with gain {gain:.4g}: pass gain= to "
        "nn.init.orthogonal_ (sqrt(2) for hidden layers, 0.01 for the policy head, 1 for the "
        "value head).",
    )


def _expect_zero_bias(bias: torch.Tensor, before: torch.Tensor, *, name: str):
    b = bias.detach()
    still_default = torch.equal(b, before)
    expect(
        int(torch.count_nonzero(b)) == 0,
        f"{name}'s bias is not zero (largest entry {b.abs().max().item():.3g})"
        + (": it still holds PyTorch's default random values." if still_default else ".")
        + " PPO-style init starts every bias at exactly 0: nn.init.zeros_(layer.bias).",
        kind="bias", name=name,
    )


def _expect_same_parameters(module: nn.Module, before: dict, optimizer, *, name: str):
    """Every parameter is the same registered nn.Parameter object, trainable, seen by the optimizer."""
    now = dict(module.named_parameters())
    expect(
        set(now) == set(before),
        f"{name} has different parameters after initialisation: before {sorted(before)}, "
        f"after {sorted(now)}. Initialisation must not add, remove or rename parameters.",
        kind="parameters", name=name,
    )
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    for key, old in before.items():
        new = now[key]
        expect(
            new is old,
            f"{name}.{key} is a new object after initialisation, not the nn.Parameter the module "
            "had before. An optimizer built before the init still trains the old one "
            f"(it sees {name}.{key}: {id(new) in in_optimizer}), so your model would never "
            f"learn.\n{CONCEPT_IN_PLACE}",
            kind="replaced", name=f"{name}.{key}",
        )
        grad_fn = type(new.grad_fn).__name__ if new.grad_fn is not None else None
        expect(
            isinstance(new, nn.Parameter) and new.requires_grad and grad_fn is None,
            f"{name}.{key} is no longer a trainable leaf parameter after initialisation "
            f"(requires_grad={new.requires_grad}, grad_fn={grad_fn}).\n{CONCEPT_IN_PLACE}",
            kind="requires_grad", name=f"{name}.{key}",
        )


# --- init_layer on its own -------------------------------------------------------------------

LAYER_CASES = [  # (in_features, out_features, gain): wide, tall and square weights
    (64, 3, 0.01),
    (4, 64, math.sqrt(2)),
    (16, 16, 1.0),
]


def _init_one(exercise, in_f: int, out_f: int, gain: float):
    torch.manual_seed(in_f * 100 + out_f)
    layer = nn.Linear(in_f, out_f)
    before = {k: p for k, p in layer.named_parameters()}
    values = {k: p.detach().clone() for k, p in before.items()}
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    name = f"init_layer(nn.Linear({in_f}, {out_f}), gain={gain:.3g})"
    out = _run(exercise.init_layer, layer, gain, name=name)
    return layer, before, values, optimizer, out, name


def test_init_layer_keeps_the_parameters(exercise):
    """init_layer fills the layer's own parameters in place and returns that same layer."""
    for in_f, out_f, gain in LAYER_CASES:
        layer, before, _, optimizer, out, name = _init_one(exercise, in_f, out_f, gain)
        _expect_same_parameters(layer, before, optimizer, name="the layer")
        expect(
            out is layer,
            f"{name} returned {type(out).__name__ if out is not None else 'None'}, not the "
            "layer it was given. Return the same layer, so that init_layer(nn.Linear(64, 3), "
            "0.01) can be used inline; a different object means a copy was initialised.",
            kind="return", name="init_layer",
        )


def test_init_layer_orthogonal_with_gain(exercise):
    """The weight is orthogonal with the requested gain, for wide, tall and square layers."""
    for in_f, out_f, gain in LAYER_CASES:
        layer, _, values, _, _, name = _init_one(exercise, in_f, out_f, gain)
        _expect_orthogonal(layer.weight, values["weight"], gain, name=name)


def test_init_layer_zero_bias(exercise):
    """The bias is exactly zero."""
    for in_f, out_f, gain in LAYER_CASES:
        layer, _, values, _, _, name = _init_one(exercise, in_f, out_f, gain)
        _expect_zero_bias(layer.bias, values["bias"], name=name)


def test_init_layer_draws_from_the_callers_stream(exercise):
    """Another global seed gives another matrix: init_layer neither re-seeds nor fixes its own seed."""
    weights = []
    for seed in (1, 2):
        layer = nn.Linear(5, 5)
        torch.set_rng_state(torch.Generator().manual_seed(seed).get_state())  # as manual_seed
        _run(exercise.init_layer, layer, 1.0, name="init_layer(nn.Linear(5, 5), gain=1)")
        weights.append(layer.weight.detach().clone())
    expect(
        not torch.equal(*weights),
        "init_layer gave exactly the same weight after torch.manual_seed(1) as after "
        "torch.manual_seed(2): it re-seeds the global random stream (torch.manual_seed inside) "
        "or draws from a generator of its own with a fixed seed. Then every layer of one shape "
        "starts identical, and the caller's seed no longer chooses the run. Draw from the "
        "global stream and leave seeding to the caller: nn.init.orthogonal_ does.",
        kind="reseeded", name="init_layer",
    )


def _init_layer_summary(exercise):
    """What init_layer promises, measured: W W^T / gain**2 (W^T W for a tall W), bias, identity."""
    def call(layer, gain):
        owned = {k: p for k, p in layer.named_parameters()}
        out = _run(exercise.init_layer, layer, gain, name="init_layer")
        with torch.no_grad():
            return {"gram over gain**2": _gram_in_dtype(layer.weight) / gain**2,
                    "bias": layer.bias.detach().clone(),
                    "returns the layer, same parameters": out is layer and all(
                        p is owned[k] for k, p in layer.named_parameters())}
    return call


def _gram_in_dtype(weight: torch.Tensor) -> torch.Tensor:
    w = weight.detach()
    return w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w


def _init_layer_promise(layer, gain):
    out_f, in_f = layer.weight.shape
    dtype = layer.weight.dtype
    return {"gram over gain**2": torch.eye(min(out_f, in_f), dtype=dtype),
            "bias": torch.zeros(out_f, dtype=dtype),
            "returns the layer, same parameters": True}


def test_init_layer_contract(exercise):
    """Any shape (one unit wide included), any gain, float64 layers stay float64."""
    def inputs(draw):
        torch.manual_seed(draw.seed())
        return Args(nn.Linear(draw["in_f"], draw["out_f"]).to(draw["dtype"]), draw["gain"])

    check_contract(Contract(
        function="init_layer", call=_init_layer_summary(exercise), reference=_init_layer_promise,
        inputs=inputs,
        axes={"in_f": [1, 5], "out_f": [1, 3, 8], "gain": [0.01, math.sqrt(2)],
              "dtype": [torch.float32, torch.float64]},
        budget=10, gradients=False, uses_rng=True,
        # Orthogonality to float32 rounding whatever the method, in float64 layers as well.
        atol=1e-4, rtol=1e-4, tolerance={torch.float64: (1e-5, 1e-5)},
        concept="init_layer fills the layer's own weight (orthogonal, scaled by gain: W @ W.T == "
        "gain**2 * I, or W.T @ W for a tall W) and its own bias (zeros), keeping their dtype: "
        "a float64 layer stays float64. A new tensor (torch.empty, torch.zeros) is float32 on "
        "the CPU whatever the layer is. " + CONCEPT_IN_PLACE))


# --- the whole actor-critic ------------------------------------------------------------------


def _init_model(exercise):
    torch.manual_seed(0)
    model = expect_module(exercise.ActorCritic(OBS, ACTIONS, HIDDEN), name="ActorCritic")
    before = dict(model.named_parameters())
    values = {k: p.detach().clone() for k, p in before.items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    _run(exercise.init_actor_critic, model, name="init_actor_critic(model)")
    return model, before, values, optimizer


def _linear_layers(module: nn.Module, prefix: str):
    return [(f"{prefix}.{n}" if n else prefix, m) for n, m in module.named_modules()
            if isinstance(m, nn.Linear)]


def test_model_keeps_its_parameters(exercise):
    """After init_actor_critic the model's parameters are the same objects the optimizer holds."""
    model, before, _, optimizer = _init_model(exercise)
    _expect_same_parameters(model, before, optimizer, name="model")


def test_hidden_layers(exercise):
    """Every Linear layer of the trunk is orthogonal with gain sqrt(2) and has a zero bias."""
    model, _, values, _ = _init_model(exercise)
    for name, layer in _linear_layers(model.trunk, "model.trunk"):
        key = name.removeprefix("model.")
        _expect_orthogonal(layer.weight, values[f"{key}.weight"], math.sqrt(2), name=name)
        _expect_zero_bias(layer.bias, values[f"{key}.bias"], name=name)


def test_initial_policy_is_near_uniform(exercise):
    """The policy head has gain 0.01, so the first policy is almost uniform for any observation."""
    model, _, values, _ = _init_model(exercise)
    obs = 2 * torch.randn(256, OBS, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        logits, _ = model(obs)
    probs = torch.softmax(logits, dim=-1)
    deviation = (probs - 1 / ACTIONS).abs().max().item()
    worst = probs[(probs - 1 / ACTIONS).abs().max(dim=-1).values.argmax()]
    worst = [round(p, 3) for p in worst.tolist()]
    # With gain 0.01 and Tanh features every logit is below 0.01 * sqrt(64) = 0.08 in size,
    # so no probability can be further than 0.04 from 1/3, whatever the random init drew.
    expect(
        deviation < 0.05,
        f"The freshly initialised policy is far from uniform: over 256 random observations a "
        f"probability strays {deviation:.3f} from 1/{ACTIONS}, e.g. {worst}. The agent "
        "would start out preferring actions it has never tried. Give the policy head a tiny "
        "gain (0.01) so every logit starts near 0 and every action is explored evenly.",
        kind="not_uniform", name="the initial policy",
    )
    _expect_orthogonal(model.policy_head.weight, values["policy_head.weight"], 0.01,
                       name="model.policy_head")
    _expect_zero_bias(model.policy_head.bias, values["policy_head.bias"], name="model.policy_head")


def test_value_head(exercise):
    """The value head is orthogonal with gain 1 and has a zero bias."""
    model, _, values, _ = _init_model(exercise)
    _expect_orthogonal(model.value_head.weight, values["value_head.weight"], 1.0,
                       name="model.value_head")
    _expect_zero_bias(model.value_head.bias, values["value_head.bias"], name="model.value_head")

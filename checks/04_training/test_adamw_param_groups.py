"""Check: decoupled weight decay on weight matrices only, and a learning rate per part."""

import math

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

TRUNK_LR, HEAD_LR, WD = 0.01, 0.05, 0.5
DECOUPLED = ("Decoupled decay (AdamW) shrinks a weight by exactly (1 - lr * weight_decay) "
             "when its gradient is zero. Adam's weight_decay is an L2 term added to the "
             "gradient and then rescaled by Adam, so it moves the weight by about lr instead.")
NO_DECAY = ("Biases and LayerNorm parameters (the 1-D ones) belong in groups with "
            "weight_decay=0.")
BY_NAME = (" Every bias stayed put, but a LayerNorm parameter was decayed: the split goes by "
           "name. Choose them by shape (p.ndim < 2), not by name: a name list such as the "
           "Hugging Face examples' [\"bias\", \"LayerNorm.weight\"] misses a LayerNorm stored "
           "under another name (here trunk.1).")


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.LayerNorm(16), torch.nn.ReLU(),
            torch.nn.Linear(16, 16), torch.nn.ReLU(),
        )
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.trunk(x))


def make_model(seed: int) -> Net:
    torch.manual_seed(seed)
    model = Net()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # LayerNorm starts at 1 and 0: make every value distinctive
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=generator))
    return model


def expected_settings(model: Net):
    """(name, parameter, lr, weight_decay) the optimizer should use for each parameter."""
    for part, lr in (("trunk", TRUNK_LR), ("head", HEAD_LR)):
        for name, p in getattr(model, part).named_parameters():
            yield f"{part}.{name}", p, lr, (WD if p.ndim >= 2 else 0.0)


def group_of(optimizer, p):
    """The parameter group holding p, or None."""
    for group in optimizer.param_groups:
        if any(q is p for q in group["params"]):
            return group
    return None


def why_weight_decay_is_off(optimizer, name, p, before, lr, wd):
    """Name the cause of a weight matrix that did not shrink by exactly (1 - lr * wd)."""
    after = p.detach().double()
    before = before.double()
    ratio = after / before
    shrink = 1 - float(ratio.mean())
    uniform = float(ratio.max() - ratio.min()) < 1e-6
    group = group_of(optimizer, p)
    settings = "" if group is None else (f" Its group has lr={group.get('lr')} and "
                                         f"weight_decay={group.get('weight_decay')}.")
    if group is None:
        return (f"{name} is in no parameter group of the optimizer, so the step left it alone. "
                "Every parameter of trunk and head needs a group.")
    if uniform and abs(shrink) < 1e-9:
        return (f"{name} did not change: it was not decayed at all.{settings} Weight matrices "
                f"go in a group with weight_decay={wd}.")
    if uniform:
        part = name.split(".")[0]
        text = (f"{name} shrank by exactly (1 - {shrink:.4g}): that is decoupled decay, as it "
                f"should be, but lr * weight_decay is {shrink:.4g} instead of {lr} * {wd} = "
                f"{lr * wd:.4g}.{settings}")
        if group is not None and not math.isclose(float(group.get("lr", 0)), lr):
            text += f" The {part} parameters' groups need lr={lr} ({part}_lr)."
        elif group is not None and not math.isclose(float(group.get("weight_decay", 0)), wd):
            text += f" Weight matrices need weight_decay={wd}."
        return text
    step = (after - before).abs()
    if float(step.max() - step.min()) < 1e-6 * max(1.0, float(step.max())):
        return (f"{name} moved by the same amount ({float(step.mean()):.4g}) in every entry, "
                "whatever its size: the decay went through Adam's gradient scaling. " + DECOUPLED)
    return f"Expected exactly {name} * (1 - {lr} * {wd}). " + DECOUPLED


def why_no_decay_moved(optimizer, name, p, decayed):
    """Name the cause of a 1-D parameter that changed with a zero gradient."""
    text = f"{name} changed although its gradient was zero: it is being decayed. " + NO_DECAY
    if decayed and not any(n.endswith("bias") for n in decayed):
        return text + BY_NAME
    group = group_of(optimizer, p)
    if group is None:
        return text
    if any(q.ndim >= 2 for q in group["params"]):
        return text + f" {name} sits in one group with weight matrices, which is decayed."
    return (text + f" {name}'s group holds only 1-D parameters, yet it has weight_decay="
            f"{group.get('weight_decay')}: set \"weight_decay\": 0.0 in it. A group dict that "
            "leaves weight_decay out takes the value given to the optimizer itself.")


def test_zero_gradient_decays_exactly(exercise):
    """With zero gradients, weights shrink by (1 - lr * wd); biases and norms stay put."""
    model = make_model(0)
    optimizer = exercise.make_optimizer(model, TRUNK_LR, HEAD_LR, WD)
    expect(isinstance(optimizer, torch.optim.Optimizer),
           f"make_optimizer should return a torch.optim optimizer, got {type(optimizer).__name__}.")
    before = {n: p.detach().clone() for n, p, _, _ in expected_settings(model)}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    decayed = [n for n, p, _, wd in expected_settings(model)
               if not wd and not torch.equal(p.detach(), before[n])]
    for name, p, lr, wd in expected_settings(model):
        if wd:
            want = before[name] * (1 - lr * wd)
            if not torch.allclose(p.detach(), want, atol=1e-7, rtol=1e-6):
                concept = why_weight_decay_is_off(optimizer, name, p, before[name], lr, wd)
            else:
                concept = DECOUPLED
            expect_tensor(p.detach(), name=f"{name} after a step with zero gradient",
                          values=want, atol=1e-7, rtol=1e-6, concept=concept)
        else:
            expect_tensor(p.detach(), name=f"{name} (1-D) after a step with zero gradient",
                          values=before[name], atol=1e-7, rtol=1e-6,
                          concept=why_no_decay_moved(optimizer, name, p, decayed))


def test_learning_rate_per_part(exercise):
    """A first step with gradient 1 moves each parameter by its part's lr (plus decay)."""
    model = make_model(1)
    optimizer = exercise.make_optimizer(model, TRUNK_LR, HEAD_LR, WD)
    before = {n: p.detach().clone() for n, p, _, _ in expected_settings(model)}
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    optimizer.step()
    for name, p, lr, wd in expected_settings(model):
        expect(not torch.equal(p.detach(), before[name]),
               f"{name} did not move at all with a gradient of 1: it is in no parameter group "
               "(or its group has lr=0). Every parameter of trunk and head needs a group.")
        # Adam's first step with gradient g moves by lr * g / (|g| + eps): about lr.
        expected = before[name] * (1 - lr * wd) - lr
        expect_tensor(p.detach(), name=f"{name} after one step", values=expected,
                      atol=1e-6, rtol=1e-5,
                      concept=f"{name} should use lr={lr} ({name.split('.')[0]} learning rate) "
                      f"and weight_decay={wd}. Every parameter must be in exactly one group, "
                      "with the right settings.")


def test_split_decay_goes_by_dimensions_for_any_layer(exercise):
    """split_decay puts every parameter of 2 or more dims (conv kernels, embeddings) in decay,
    every 1-D one in no_decay, each exactly once."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.Conv1d(4, 2, 3),
        torch.nn.Embedding(5, 4), torch.nn.Linear(4, 2), torch.nn.LayerNorm(2),
    )
    result = exercise.split_decay(model)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           "split_decay should return two lists, (decay, no_decay).")
    decay, no_decay = ({id(p) for p in part} for part in result)
    for name, p in model.named_parameters():
        wanted, other = ("decay", "no_decay") if p.ndim >= 2 else ("no_decay", "decay")
        inside = decay if wanted == "decay" else no_decay
        outside = no_decay if wanted == "decay" else decay
        expect(id(p) in inside and id(p) not in outside,
               f"{name} ({p.ndim}-D, shape {tuple(p.shape)}) should be in {wanted} and only "
               f"there, but it is {'in ' + other if id(p) in outside else 'missing'}. The rule "
               "is by the number of dimensions, p.ndim >= 2, not == 2: a conv kernel is 3-D or "
               "4-D and is a weight like any other.\n" + NO_DECAY)


class Scale(torch.nn.Module):
    """A learnable 0-d scalar (a temperature, a log-std): not a weight matrix."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return x * self.scale


def _part(kind: str) -> torch.nn.Module:
    if kind == "conv":
        return torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3),
                                   torch.nn.Conv3d(3, 2, 1, bias=False))
    if kind == "shared":  # one Linear used twice: it owns its parameters once
        shared = torch.nn.Linear(4, 4)
        return torch.nn.Sequential(shared, torch.nn.LayerNorm(4), shared)
    if kind == "scalar":
        return torch.nn.Sequential(torch.nn.Embedding(6, 4), Scale(), torch.nn.Linear(4, 2))
    return torch.nn.Sequential(torch.nn.Linear(4, 5, bias=False), torch.nn.GroupNorm(1, 5))


def _named(module, params):
    names = {id(p): n for n, p in module.named_parameters()}
    return sorted(names.get(id(p), "(a tensor not of this module)") for p in params)


def _split_by_names(split):
    def run(module):
        decay, no_decay = split(module)
        return _named(module, decay), _named(module, no_decay)
    return run


def _reference_split(module):
    params = list(module.parameters())
    return [p for p in params if p.ndim >= 2], [p for p in params if p.ndim < 2]


def _settings(make):
    """What the optimizer does: decoupled decay or not, and per name (lr, decay, groups)."""
    def run(model, *, trunk_lr, head_lr, weight_decay):
        optimizer = make(model, trunk_lr, head_lr, weight_decay)
        seen = {}
        for name, p in model.named_parameters():
            groups = [g for g in optimizer.param_groups if any(q is p for q in g["params"])]
            times = sum(sum(q is p for q in g["params"]) for g in groups)
            first = groups[0] if groups else {}
            seen[name] = (float(first.get("lr", 0.0)), float(first.get("weight_decay", 0.0)), times)
        # Adam(decoupled_weight_decay=True) is AdamW by another name: judged by what it does.
        decoupled = isinstance(optimizer, torch.optim.AdamW) or all(
            g.get("decoupled_weight_decay", False) for g in optimizer.param_groups)
        return {"decoupled weight decay": decoupled, "per parameter (lr, decay, times)": seen}
    return run


def _reference_optimizer(model, trunk_lr, head_lr, weight_decay):
    groups = []
    for part, lr in ((model.trunk, trunk_lr), (model.head, head_lr)):
        decay, no_decay = _reference_split(part)
        groups += [{"params": decay, "lr": lr, "weight_decay": weight_decay},
                   {"params": no_decay, "lr": lr, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups)


def test_contract(exercise):
    """Any layer (conv, norms, embeddings, a 0-d scalar, a layer used twice): each parameter
    once, by its number of dimensions, with its part's lr and decay."""
    def modules(draw):
        return Args(_part(draw["part"]))

    check_contract(Contract(
        function="split_decay", call=_split_by_names(exercise.split_decay),
        reference=_split_by_names(_reference_split), inputs=modules,
        axes={"part": ["conv", "shared", "scalar", "no bias"]},
        concept="decay: every parameter with 2 or more dims; no_decay: all the others (1-D "
                "biases and norms, 0-d scalars); each parameter exactly once (module."
                "parameters() lists a shared layer once, module.modules() twice)."))

    def models(draw):
        model = torch.nn.Module()
        model.trunk, model.head = _part(draw["trunk"]), _part(draw["head"])
        trunk_lr, head_lr = draw["lrs"]
        return Args(model, trunk_lr=trunk_lr, head_lr=head_lr, weight_decay=draw["wd"])

    check_contract(Contract(
        function="make_optimizer", call=_settings(exercise.make_optimizer),
        reference=_settings(_reference_optimizer), inputs=models,
        axes={"trunk": ["conv", "shared", "scalar", "no bias"],
              "head": ["no bias", "scalar", "conv"], "lrs": [(0.01, 0.05), (0.003, 0.003)],
              "wd": [0.5, 0.0]},
        budget=8, concept="AdamW; every parameter of trunk and head in exactly one group, with "
                          "its part's lr and weight_decay on 2+-dim weights only. " + NO_DECAY))

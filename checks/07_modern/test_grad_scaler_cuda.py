"""Check: the fp16 + GradScaler recipe, on the CPU everywhere and on a CUDA GPU where present.

torch.autocast and torch.amp.GradScaler also accept "cpu", so the recipe's
logic (the order scale -> backward -> unscale_ -> clip -> scaler.step ->
update, and the skipped step on overflow) is checked on the CPU on every
machine: first on one example each (the messages name the classic mistakes),
then as a contract (the harness tries the recipe on a batch of one, a clip
that does not bite, Adam, an overflowing scale and stale gradients). The real
fp16 run on a GPU is the last test; it skips honestly where no CUDA GPU is
present, and the result then says so.
"""

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, fail, note, require_cuda
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.promise import compare
from torchlings.checkapi.testkit.spies import EventLog, spy_optimizer

MAX_NORM = 0.05
CONCEPT = (
    "The recipe: scaler.scale(loss).backward(); scaler.unscale_(optimizer); "
    "clip_grad_norm_(model.parameters(), max_norm); scaler.step(optimizer); scaler.update()."
)


def _model(device):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1)).to(device)


def _data(device):
    g = torch.Generator().manual_seed(1)
    obs = torch.randn(64, 4, generator=g)
    targets = obs.sum(dim=1) * 3 + 1
    return obs.to(device), targets.to(device)


def _reference_step(model, obs, targets, scale, device):
    """The recipe done by hand: the true, clipped gradient applied by SGD(lr=0.1)."""
    with torch.autocast(device_type=device, dtype=torch.float16):
        predictions = model(obs).squeeze(-1)
    loss = F.mse_loss(predictions.float(), targets)
    (loss * scale).backward()
    with torch.no_grad():
        for p in model.parameters():
            p.grad /= scale
    nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    return loss.item()


def _one_step(exercise, device, init_scale):
    model = _model(device)
    obs, targets = _data(device)
    log = EventLog()
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=0.1)
    scaler = torch.amp.GradScaler(device, init_scale=init_scale)
    before = copy.deepcopy(model)
    loss = exercise.train_step(model, optimizer, scaler, obs, targets, MAX_NORM, device)
    return model, before, scaler, log, loss, obs, targets


def _check_recipe(exercise, device):
    scale = 2.0**12
    model, before, scaler, log, loss, obs, targets = _one_step(exercise, device, scale)
    steps = log.steps()
    expect(steps, "train_step never stepped the optimizer: scaler.step(optimizer) does it.\n"
           + CONCEPT)
    true_loss = _reference_step(before, obs, targets, scale, device)
    norm = steps[-1].grad_norm
    expect(norm < MAX_NORM * 100,
           f"At the optimizer step the gradient norm was {norm:.4g}, though the clip asked for "
           f"{MAX_NORM}: the gradients were still multiplied by the scale ({scale:g}). "
           "scaler.unscale_(optimizer) divides them back before you clip.\n" + CONCEPT)
    expect(norm > MAX_NORM / 100,
           f"At the optimizer step the gradient norm was {norm:.4g}, where the clip makes it "
           f"{MAX_NORM}: about {MAX_NORM:g} / {scale:g}. The clip saw the SCALED gradients and "
           "cut them to max_norm, then the step divided them by the scale again. Call "
           "scaler.unscale_(optimizer) before clip_grad_norm_.\n" + CONCEPT)
    expect(isinstance(loss, float),
           f"train_step should return loss.item(), a float, not {type(loss).__name__}.")
    expect(abs(loss - true_loss) <= 1e-4 * max(1.0, abs(true_loss)),
           f"train_step returned {loss:.6g}; the unscaled loss is {true_loss:.6g}. Return the "
           "loss itself, not the scaled one.\n" + CONCEPT)
    for (name, p), q in zip(model.named_parameters(), before.parameters(), strict=True):
        expect_tensor(p, name=f"{name} after one step ({device})", dtype=torch.float32,
                      values=q, atol=1e-5, rtol=1e-4,
                      concept="One step should move the weights by the true gradient, "
                      f"clipped to norm {MAX_NORM}. " + CONCEPT)
    expect(scaler.get_scale() == scale,
           f"After one good step the scale is {scaler.get_scale():g}, not {scale:g}: it only "
           "grows after many good steps in a row. Call scaler.update() once per step.")


def _check_overflow(exercise, device):
    scale = 2.0**40  # far too large: the fp16 gradients overflow to inf
    model, before, scaler, _, _, _, _ = _one_step(exercise, device, scale)
    for (name, p), q in zip(model.named_parameters(), before.parameters(), strict=True):
        expect_tensor(p, name=f"{name} after a step whose gradients overflowed ({device})",
                      finite=True, values=q,
                      concept="With the scale far too large the fp16 gradients overflow to inf. "
                      "scaler.step(optimizer) sees that and skips the step; optimizer.step() "
                      "would write inf and NaN into the weights. " + CONCEPT)
    expect(scaler.get_scale() < scale,
           f"The gradients overflowed, yet the scale is still {scaler.get_scale():g}: "
           "scaler.update() lowers it after a skipped step, so the next step can succeed. "
           "Call it after scaler.step(optimizer).\n" + CONCEPT)


def test_recipe_on_cpu(exercise):
    """On the CPU: unscale_ before clipping, so the step applies the true clipped gradient."""
    _check_recipe(exercise, "cpu")


def test_overflow_skips_the_step_on_cpu(exercise):
    """On the CPU: when the gradients overflow, the step is skipped and the scale shrinks."""
    _check_overflow(exercise, "cpu")
    if not torch.cuda.is_available():
        note("The recipe passed on the CPU (fp16 autocast and a CPU GradScaler). The run on a "
             "CUDA GPU, where fp16 pays off, was not checked here: this machine has no GPU.")


# The contract, on the CPU: one step is the recipe for any batch (one included), any clip
# (active or not), SGD or Adam, a scale that fits and one that overflows, and a model whose
# .grad still holds the last step's gradients. Each call gets its own optimizer and scaler,
# built from the case, so what the step did to them is judged too.

def _recipe_session(train_step):
    def run(model, obs, targets, max_norm, optimizer_kind, init_scale):
        log = EventLog()
        kind = torch.optim.SGD if optimizer_kind == "SGD" else torch.optim.Adam
        optimizer = spy_optimizer(kind, model.parameters(), log, lr=0.1)
        scaler = torch.amp.GradScaler("cpu", init_scale=init_scale)
        loss = train_step(model, optimizer, scaler, obs, targets, max_norm, "cpu")
        steps = log.steps()
        return {
            "optimizer steps taken": len(steps),
            "the gradient norm at the step": steps[-1].grad_norm if steps else None,
            "loss": loss,
            "the weights after the step": [p.detach().clone() for p in model.parameters()],
            "the scale after the step": scaler.get_scale(),
        }
    return run


def _reference_train_step(model, optimizer, scaler, obs, targets, max_norm, device_type):
    optimizer.zero_grad()
    with torch.autocast(device_type=device_type, dtype=torch.float16):
        predictions = model(obs).squeeze(-1)
    loss = F.mse_loss(predictions.float(), targets)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def _without_old_gradients(train_step, case):
    """Whether the step keeps its promise on this case once the model's old .grad is gone."""
    model, *rest = case.inputs.args
    model = copy.deepcopy(model)
    for p in model.parameters():
        p.grad = None
    want = _recipe_session(_reference_train_step)(copy.deepcopy(model), *rest)
    got = _recipe_session(train_step)(model, *rest)
    return compare(got, want, lambda dtype: (1e-5, 1e-4), where="the result") is None


def _explain_recipe(train_step):
    def diagnose(case, got, want):
        if case.axes["model"] == "used" and _without_old_gradients(train_step, case):
            fail(f"With {case.label}: the step used the gradients the model's .grad already "
                 "held (from an earlier backward) as well as this step's: backward adds into "
                 ".grad. Start the step with optimizer.zero_grad().\n" + CONCEPT)
        _explain_step(case, got, want)
    return diagnose


def _explain_step(case, got, want):
    """The check's words for the step that broke (the probes' messages, on this case)."""
    where, key = f"With {case.label}: ", case.result_key
    scale, max_norm = case.axes["init_scale"], case.inputs.args[3]
    if key == "optimizer steps taken" and want[key] == 0:
        fail(where + "the gradients overflowed, yet the optimizer stepped: scaler.step("
             "optimizer) sees the inf and skips the step; optimizer.step() writes inf and NaN "
             "into the weights.\n" + CONCEPT)
    if key == "optimizer steps taken":
        fail(where + "train_step did not step the optimizer exactly once: scaler.step("
             "optimizer) does it, once per call.\n" + CONCEPT)
    norm = got.get("the gradient norm at the step") if isinstance(got, dict) else None
    if key == "the gradient norm at the step" and norm is not None:
        if norm > want[key] * 100:
            fail(where + f"at the optimizer step the gradient norm was {norm:.4g}: the "
                 f"gradients were still multiplied by the scale ({scale:g}). "
                 "scaler.unscale_(optimizer) divides them back before you clip.\n" + CONCEPT)
        # Clipped while still scaled: cut to max_norm, then scaler.step divided them again.
        if want[key] * scale > max_norm and math.isclose(norm, max_norm / scale, rel_tol=1e-2):
            fail(where + f"at the optimizer step the gradient norm was {norm:.4g}, that is "
                 f"{max_norm:g} / {scale:g}: the clip saw the SCALED gradients and cut them to "
                 "max_norm, then the step divided them by the scale again. Call "
                 "scaler.unscale_(optimizer) before clip_grad_norm_.\n" + CONCEPT)
        fail(where + f"at the optimizer step the gradient norm was {norm:.4g}, not "
             f"{want[key]:.4g}: the gradients of this step only (zero_grad first), unscaled, "
             f"then clipped to {max_norm:g}.\n" + CONCEPT)
    if key == "loss":
        fail(where + "train_step should return the unscaled loss of this step as a float "
             f"(loss.item()), not the scaled one.\n({case.problem})\n" + CONCEPT)
    if key == "the scale after the step":
        what = ("after a skipped step scaler.update() lowers the scale, so the next step can "
                "succeed" if want[key] < scale else
                "the scale only grows after many good steps in a row")
        fail(where + f"the scale is {got[key]:g} after the step, not {want[key]:g}: {what}. "
             "Call scaler.update() once per step, after scaler.step(optimizer).\n" + CONCEPT)


def test_recipe_contract_on_cpu(exercise):
    """On the CPU, the recipe keeps its promise beyond the example: a batch of one, a clip that
    does not bite, Adam, an overflowing scale, and gradients left over from the last step."""
    def inputs(draw):
        model = nn.Sequential(nn.Linear(draw["obs"], 16), nn.Tanh(), nn.Linear(16, 1))
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(draw.randn(*p.shape, scale=0.5))
        if draw["model"] == "used":
            for p in model.parameters():
                # Left by an earlier backward (another loss on this model): large, so that
                # they still show once unscale_ has divided them by the scale.
                p.grad = draw.randn(*p.shape, scale=1e6)
        obs = draw.randn(draw["batch"], draw["obs"])
        targets = obs.sum(dim=1) * 3 + 1
        return Args(model, obs, targets, draw["max_norm"], draw["optimizer"],
                    draw["init_scale"])
    check_contract(Contract(
        function="train_step", call=_recipe_session(exercise.train_step),
        reference=_recipe_session(_reference_train_step), inputs=inputs,
        axes={"batch": [1, 32], "obs": [4, 2], "max_norm": [MAX_NORM, 1e3],
              "optimizer": ["SGD", "Adam"], "init_scale": [2.0**12, 2.0**40],
              "model": ["fresh", "used"]},
        atol=1e-5, rtol=1e-4, gradients=False, diagnose=_explain_recipe(exercise.train_step),
        concept=CONCEPT))


def test_on_a_cuda_gpu(exercise):
    """On a CUDA GPU: the same recipe, and a value network that learns in fp16."""
    require_cuda()
    _check_recipe(exercise, "cuda")
    _check_overflow(exercise, "cuda")
    model = _model("cuda")
    obs, targets = _data("cuda")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scaler = torch.amp.GradScaler("cuda")
    losses = [exercise.train_step(model, optimizer, scaler, obs, targets, 1.0, "cuda")
              for _ in range(200)]
    expect(all(torch.isfinite(torch.tensor(losses))),
           "The loss became inf or NaN while training on the GPU.\n" + CONCEPT)
    expect(losses[-1] < 0.2 * losses[0],
           f"200 fp16 steps took the loss from {losses[0]:.4g} to {losses[-1]:.4g} only; the "
           "value network should fit this easily.\n" + CONCEPT)

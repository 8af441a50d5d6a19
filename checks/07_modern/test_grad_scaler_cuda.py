"""Check: the fp16 + GradScaler recipe, on the CPU everywhere and on a CUDA GPU where present.

torch.autocast and torch.amp.GradScaler also accept "cpu", so the recipe's
logic (the order scale -> backward -> unscale_ -> clip -> scaler.step ->
update, and the skipped step on overflow) is checked on the CPU on every
machine. The real fp16 run on a GPU is the last test; it skips honestly where
no CUDA GPU is present, and the result then says so.
"""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, note, require_cuda
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

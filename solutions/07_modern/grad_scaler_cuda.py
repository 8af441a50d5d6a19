"""float16 on a GPU: autocast plus a GradScaler.

On NVIDIA GPUs the fastest mixed precision is float16 (fp16): tensor cores
multiply fp16 matrices many times faster than float32 ones. But fp16 has a
tiny range: nothing above 65504, and gradients smaller than about 6e-8 round
to zero ("underflow"). Gradients are often that small, and whole layers then
learn nothing.

The fix is loss scaling. `torch.amp.GradScaler("cuda")` multiplies the loss
by a large factor (65536 to start) before backward, so the gradients flowing
through the fp16 ops are large enough to survive; they land in the float32
`.grad` of the float32 weights still multiplied by that factor. The recipe,
in this order:

    scaler.scale(loss).backward()     # backward from the scaled loss
    scaler.unscale_(optimizer)        # divide the .grad tensors back, in place
    clip_grad_norm_(params, max_norm) # now the norm is the true one
    scaler.step(optimizer)            # steps, unless a gradient is inf or NaN
    scaler.update()                   # adjust the scale for the next step

Clipping must see true gradients: clip the scaled ones and you clip to
max_norm times the scale, and the step then unscales them to something
thousands of times too small. `scaler.step` rather than `optimizer.step`:
when the scale was too large, some gradients overflowed to inf; the scaler
then skips the step (a plain step would write inf and NaN into the weights)
and `update()` halves the scale. After a run of good steps it grows again.

Where it runs: bf16 (previous exercise) has float32's range and needs no
scaler; fp16 does. The function takes the device as an argument, so the same
recipe also runs on the CPU (autocast and GradScaler accept "cpu" there).

Your job: the five lines of the recipe in `train_step`.
"""

import torch
import torch.nn.functional as F
from torch import nn


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    obs: torch.Tensor,
    targets: torch.Tensor,
    max_norm: float,
    device_type: str = "cuda",
) -> float:
    """One fp16 mixed-precision step of value regression; returns the loss as a float."""
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

"""dtype and device: everything in one operation must agree.

Every tensor lives on a device: "cpu", "cuda" (an NVIDIA GPU) or "mps" (an
Apple GPU). An operation only works on tensors that sit on the same device;
mixing them raises "Expected all tensors to be on the same device".
`t.to(device)` returns a copy of t on that device (or t itself if it is
already there), and `t.to(device, dtype)` changes both at once.

Code that should run anywhere picks its device once, at the start: the best
accelerator that is available, else the CPU. `torch.cuda.is_available()` and
`torch.backends.mps.is_available()` say what this machine has. Keeping the
choice in a small function of two flags makes it testable on a laptop with
no GPU at all, which is exactly what the check does.

dtypes matter as much. `F.cross_entropy(logits, targets)` wants float logits
of shape (B, A) and targets that are class INDICES: int64 (long), shape (B,).
Float targets are taken to mean something else entirely or rejected, and int32
is rejected too.

Why RL cares: the policy network runs on the GPU, but rollouts are collected
on the CPU and replay buffers often store everything, actions included, as
float32. Before a loss, every input has to be moved to the network's device
and actions turned back into int64 indices, or the update step fails (or, in
the worst case, computes something else).

Your job: fill in `pick_device` and `best_device`, and fix `class_targets`
and `loss_inputs`. No GPU is needed: the check calls `pick_device` with
made-up flags and uses PyTorch's "meta" device (tensors with a shape and a
dtype but no data) to stand in for an accelerator.
"""

import torch
import torch.nn.functional as F


def pick_device(cuda_available: bool, mps_available: bool) -> torch.device:
    """torch.device("cuda") if CUDA is available, else "mps" if MPS is, else "cpu".

    Only the device's type is judged: torch.device("cuda:0") answers "cuda" too.
    """
    # TODO: prefer CUDA, then MPS, then the CPU
    raise NotImplementedError("choose the device from the two flags")


def best_device() -> torch.device:
    """The device pick_device chooses for what this machine really has."""
    # TODO: ask torch what is available and let pick_device decide
    raise NotImplementedError("ask torch.cuda and torch.backends.mps")


def class_targets(actions: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Actions stored as float32 on the CPU, e.g. tensor([0., 2., 1.]), turned into
    the class indices a loss needs: int64, on `device`, same values."""
    # TODO: the device is right now; the dtype is not
    return actions.to(device)


def loss_inputs(
    logits: torch.Tensor, actions: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Everything F.cross_entropy needs, on ONE device: (logits, targets).

    logits (B, A) live wherever the network runs; actions come straight from
    the replay buffer (float32, on the CPU). Return the logits unchanged and
    the actions as class targets next to them.
    """
    # TODO: the replay buffer lives on the CPU, but does the network?
    return logits, class_targets(actions, torch.device("cpu"))


def action_loss(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of policy logits against the taken actions: the mean, a 0-dim tensor."""
    return F.cross_entropy(*loss_inputs(logits, actions))

"""Checkpoint and resume.

Long runs get stopped: a machine is preempted, a job hits its time limit, you
press Ctrl-C. A checkpoint is a file from which the run can go on as if
nothing had happened. The test of a good one is strict: stop a run at step k,
save, load into freshly built objects, continue, and you must end with exactly
the same weights, bit for bit, as the run that was never stopped.

The weights alone are not enough. Adam keeps a running mean and variance of
every gradient in `optimizer.state_dict()`; a fresh optimizer starts those at
zero and takes different steps. The random number generator matters too:
dropout masks and sampled minibatches come from torch's global generator, and
`torch.get_rng_state()` / `torch.set_rng_state(...)` save and restore exactly
where it was. Finally, the step counter says where to continue (a learning-rate
scheduler, if you had one, would go in too via its own `state_dict()`).

Save plain data only -- state_dicts, tensors, numbers -- in one dict with
`torch.save`, so the file loads with `torch.load(path, weights_only=True)`,
which refuses to run code hidden in a file (see the next exercise). All the
randomness here comes from torch's generator; NumPy's generator state, which
holds NumPy arrays, is something weights_only=True would refuse.

Why RL cares: agents train for hours or days; a resumed agent that forgot its
optimizer state or its random stream quietly diverges from the run you meant
to have, and results stop being reproducible.
"""

import torch
from torch import nn


def save_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer, step: int) -> None:
    """Write everything needed to continue training after `step` to `path`."""
    # TODO: this resumes the weights, but a resumed run still drifts away from
    # the uninterrupted one. What else does training carry from step to step?
    checkpoint = {
        "model": model.state_dict(),
        "step": step,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore model, optimizer and RNG from `path` in place; return the saved step."""
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    # TODO: restore whatever else you saved
    return checkpoint["step"]

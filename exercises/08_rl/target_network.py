"""Target networks: a frozen copy, updated by hard copy or Polyak averaging.

DQN's target r + gamma * max_a' Q(s', a') uses the network being trained.
Each update then moves the target it is chasing, and learning can spiral.
The fix is a second, *target* network: a copy of the online network that
stays still while the online one learns, and catches up only now and then.

Three ways to get it wrong, none of which raises an error:

- `target = online` is not a copy: both names point at one network, so the
  "target" moves with every step. `copy.deepcopy(online)` makes a network
  with its own parameter storage.
- The target must never be trained. Switch its gradients off with
  `target.requires_grad_(False)`, so no gradient flows into it even if
  its output ends up in a loss.
- Updating must copy *values* into the target's own tensors. Either every N
  steps a hard copy, `target.load_state_dict(online.state_dict())`, or after
  every step a Polyak (soft) update, for each parameter pair

      target_p = tau * online_p + (1 - tau) * target_p

  done in place under `torch.no_grad()` (otherwise the update itself becomes
  part of a graph). tau is small, e.g. 0.005: the target trails behind.
  (Spinning Up calls the other share `polyak`: polyak = 1 - tau, e.g. 0.995.)

CleanRL and SB3 leave the target's requires_grad on and rely on wrapping
every use in no_grad; here the target is frozen once, in make_target.

Your job: write the three functions.
"""

import copy  # noqa: F401  (copy.deepcopy)

import torch  # noqa: F401  (torch.no_grad)
from torch import nn


def make_target(online: nn.Module) -> nn.Module:
    """Return an independent copy of `online` whose parameters never get gradients."""
    # TODO
    raise NotImplementedError("copy the online network and freeze the copy")


def hard_update(target: nn.Module, online: nn.Module) -> None:
    """Copy every parameter value of `online` into `target` (target keeps its own storage)."""
    # TODO
    raise NotImplementedError("copy the online values into the target")


def soft_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """Move each target parameter a fraction tau of the way toward the online one, in place."""
    # TODO
    raise NotImplementedError("blend the online parameters into the target")

"""PyTorch's process-wide switches, which a learner's code must leave as it found them.

`torch.set_grad_enabled(False)` written as a statement (rather than `with
torch.no_grad():`) switches autograd off for the rest of the program: the
function returns the right numbers and every later `backward()` breaks
somewhere far away. The same holds for the default dtype, the default device,
the deterministic-algorithms flag and autocast (`torch.set_autocast_enabled`, or
an autocast entered with `__enter__` and never left: every later matmul of the
caller runs in low precision). The check process captures them
before each test and compares after it (engine/child/plugin.py), for every
exercise; a leftover fails the test with a message naming it, and is put
back so the next test runs as it should.

The global random stream is not among them: checks seed it themselves, so
only the contract harness (testkit.harness), which calls the learner's code
directly, can tell whose draw moved it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from torchlings.checkapi.failures import fail

__all__ = ["GlobalState", "expect_global_state_kept"]

_AUTOCAST_DEVICES = ("cpu", "cuda")  # asking about CUDA's needs no GPU


@dataclass(frozen=True)
class GlobalState:
    grad_enabled: bool
    default_dtype: torch.dtype
    default_device: str
    deterministic: bool
    deterministic_warn_only: bool
    autocast: tuple[tuple[str, bool, torch.dtype], ...]  # (device type, on, dtype)

    @classmethod
    def capture(cls) -> GlobalState:
        return cls(
            grad_enabled=torch.is_grad_enabled(),
            default_dtype=torch.get_default_dtype(),
            default_device=str(torch.get_default_device()),
            deterministic=torch.are_deterministic_algorithms_enabled(),
            deterministic_warn_only=torch.is_deterministic_algorithms_warn_only_enabled(),
            autocast=tuple((device, torch.is_autocast_enabled(device),
                            torch.get_autocast_dtype(device)) for device in _AUTOCAST_DEVICES),
        )

    def restore(self) -> None:
        torch.set_grad_enabled(self.grad_enabled)
        torch.set_default_dtype(self.default_dtype)
        torch.set_default_device(None if self.default_device == "cpu" else self.default_device)
        torch.use_deterministic_algorithms(self.deterministic,
                                           warn_only=self.deterministic_warn_only)
        for device, enabled, dtype in self.autocast:
            torch.set_autocast_enabled(device, enabled)
            torch.set_autocast_dtype(device, dtype)

    def leftovers(self, now: GlobalState) -> list[str]:
        """One sentence per switch that `now` has changed, in the learner's terms."""
        found = []
        if now.grad_enabled != self.grad_enabled:
            found.append(
                f"autograd is switched {'off' if not now.grad_enabled else 'on'} for the whole "
                f"program (torch.is_grad_enabled() is {now.grad_enabled}, it was "
                f"{self.grad_enabled}). torch.set_grad_enabled(False) or torch.no_grad() called "
                "as a statement does not end with your function: write it as a block, "
                "`with torch.no_grad():`, which puts the mode back when the block ends."
            )
        if now.default_dtype != self.default_dtype:
            found.append(
                f"the default dtype is now {now.default_dtype} (it was {self.default_dtype}): "
                "torch.set_default_dtype changes every tensor created afterwards, everywhere. "
                "Pass dtype= to the tensors you create instead."
            )
        if now.default_device != self.default_device:
            found.append(
                f"the default device is now {now.default_device} (it was "
                f"{self.default_device}): torch.set_default_device moves every tensor created "
                "afterwards. Pass device= (or .to(device)) to what you create instead."
            )
        if (now.deterministic, now.deterministic_warn_only) != (
                self.deterministic, self.deterministic_warn_only):
            found.append(
                "torch.use_deterministic_algorithms was switched to "
                f"{now.deterministic} (warn_only={now.deterministic_warn_only}) and left so: "
                "it changes which kernels the whole program may use. Put it back when done, "
                "or leave it to the caller."
            )
        for (device, was_on, was_dtype), (_, on, dtype) in zip(self.autocast, now.autocast,
                                                              strict=True):
            if (on, dtype) != (was_on, was_dtype):
                found.append(
                    f"autocast for {device} is left switched {'on' if on else 'off'}, in {dtype} "
                    f"(it was {'on' if was_on else 'off'}, in {was_dtype}): "
                    "torch.set_autocast_enabled or set_autocast_dtype, or an autocast "
                    "entered with __enter__ and never exited, stays in force after your "
                    "function, and every matmul the caller runs next changes precision. Write "
                    f"it as a block, `with torch.autocast(device_type=\"{device}\", ...):`, "
                    "which ends with the block."
                )
        return found


def expect_global_state_kept(before: GlobalState, *, when: str = "after this test") -> None:
    """Fail naming each switch the code left changed; put every switch back first."""
    now = GlobalState.capture()
    leftovers = before.leftovers(now)
    if not leftovers:
        return
    before.restore()  # the next test runs in the state it expects, whatever happens here
    fail(
        f"Your code left PyTorch's global state changed {when}: " + " Also, ".join(leftovers)
        + "\nA function should leave the program's switches as it found them: the caller's "
        "training loop runs next, in whatever mode you leave.",
        kind="side_effect",
        name="global state",
    )

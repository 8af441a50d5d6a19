"""torch.compile: the same model, faster, and proof that it is the same.

`torch.compile(model)` returns a wrapper that you call exactly like the
model. On its first call it traces the Python forward into a graph and
generates fused code for it (C++ on a CPU, which needs a C++ compiler; GPU
kernels on a GPU). That first call takes seconds; later calls reuse the code.
`model.compile()` does the same in place, for a model class of your own: after
it, `model(obs)` itself runs compiled code, so take any eager output you want
to compare *before* compiling in place (torch.compile(model) leaves model eager).

Compiled is not bit-for-bit identical. Fused code adds numbers in another
order, and floating point rounding then differs in the last digits (about
1e-6 for float32). Compare with a tolerance (`torch.allclose` with atol and
rtol, or `torch.testing.assert_close`), never with `==` or `torch.equal`.
Not too loose either: with atol=1 almost any two networks would "match".
Rounding grows with the numbers: outputs near 1000 (Q-values, returns) carry
rounding near 1e-4, so the tolerance needs a relative part (rtol) that scales
with each output, besides an absolute part (atol) for outputs that cancel to
about 0. And every output must agree: an average over them hides one that is
far off.

Compare in evaluation mode. In training mode dropout draws a new random mask
on every call, so two calls disagree even without compiling. `model.eval()`
switches dropout off (and makes batch norm use its running statistics).

Why RL cares: an agent calls its policy network millions of times while it
collects experience, and compiling makes each call cheaper. A compiled
network that computed something else would change the agent's behaviour
silently, so you check once that it matches the eager model before trusting
it.

Your job: fill in the three functions.
"""

from collections.abc import Callable

import torch
from torch import nn


def compile_model(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return a compiled version of model that is called like the model itself."""
    # TODO: one call does it.
    raise NotImplementedError("compile the model with torch.compile")


def outputs_match(eager: torch.Tensor, compiled: torch.Tensor) -> bool:
    """True when the two outputs agree up to float32 rounding, False otherwise."""
    # TODO: compiled code rounds differently; exact equality is the wrong test.
    return torch.equal(eager, compiled)


def eager_and_compiled(
    model: nn.Module, obs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (eager output, compiled output) of model on obs, ready to be compared."""
    # TODO: dropout is still on; the two outputs can never agree like this.
    compiled = compile_model(model)
    with torch.no_grad():
        return model(obs), compiled(obs)

"""Creating tensors: every tensor has a shape, a dtype and a device.

A tensor is PyTorch's n-dimensional array. Besides its numbers it carries
three facts you choose when you create it: its shape (how many numbers along
each dimension), its dtype (the kind of number: float32, int64, ...) and its
device (the CPU, a GPU, ...). The factories you will use all the time:

    torch.zeros(2, 3)            # 2 rows, 3 columns of 0.0
    torch.ones(4)                # four 1.0
    torch.randn(2, 3)            # standard normal samples
    torch.arange(5)              # tensor([0, 1, 2, 3, 4])
    torch.tensor([1.5, 2.0])     # from a Python list

Defaults matter. Floating-point factories give float32, but `torch.arange(5)`
and `torch.tensor([1, 2, 3])` see Python ints and give int64. A network's
weights are float32, so an observation that arrives as int64 stops the
forward pass with a dtype error when it meets them. Every factory takes `dtype=` and
`device=` so you can say what you want up front.

Why RL cares: you will pre-allocate buffers for a rollout (one reward per
environment per step: shape (n_envs, n_steps)), turn observations from an
environment into float32 tensors, keep action indices as int64 so they can
index Q-values, and draw exploration noise that you can reproduce.

Your job: make each function below return exactly the tensor its docstring
describes.
"""

import torch


def reward_buffer(n_envs: int, n_steps: int) -> torch.Tensor:
    """A float32 tensor of zeros, one slot per environment per step: (n_envs, n_steps)."""
    # TODO: this buffer only has room for one environment
    return torch.zeros(n_steps)


def observation(values: list) -> torch.Tensor:
    """The 1-D float32 tensor holding `values`, even when they are Python ints.

    A grid-world observation such as [3, 1] (a position) must still come out as
    float32, ready for a network.
    """
    # TODO: which dtype does torch.tensor pick for a list of ints?
    return torch.tensor(values)


def action_ids(n_actions: int) -> torch.Tensor:
    """The ids of all actions, 0, 1, ..., n_actions - 1, as int64 (shape (n_actions,))."""
    # TODO: one factory call
    raise NotImplementedError("return the action ids 0 .. n_actions - 1")


def exploration_noise(shape: tuple, generator: torch.Generator) -> torch.Tensor:
    """float32 standard-normal noise of the given shape, drawn from `generator`.

    Any shape, () (a single number) included.

    Drawing from the generator you are handed (the `generator=` argument of the
    factory) makes the noise reproducible: the same seed gives the same noise.
    """
    # TODO: one factory call, using `generator`
    raise NotImplementedError("draw standard-normal noise from the generator")


def ones_on(shape: tuple, device: torch.device) -> torch.Tensor:
    """A float32 tensor of ones of the given shape, () included, created on `device`."""
    # TODO: the factory takes device= as well as the shape
    raise NotImplementedError("create the ones on the requested device")

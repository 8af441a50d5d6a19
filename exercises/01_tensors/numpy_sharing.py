"""NumPy and PyTorch: copy or share?

There are several ways to turn a NumPy array into a tensor, and they differ
in one important way:

    torch.tensor(a)       always COPIES the numbers into new memory
    torch.from_numpy(a)   SHARES a's memory: no copy at all
    torch.as_tensor(a)    shares too, when it can (same dtype, on the CPU)

A shared tensor and its array are two windows onto the same numbers: write
through one and the other sees the change. Sharing is fast (nothing is
copied), which is what you want for a big batch you only read. A copy is
independent, which is what you want when the array will change later.

Why RL cares: many environments write each new observation into the SAME
NumPy array, step after step. Store `torch.from_numpy(obs)` in a replay buffer
and every entry you stored is a window onto that one array: after a few steps
your whole buffer holds copies of the latest observation, training quietly
goes wrong and nothing raises an error.

Your job: answer the question, then make `store_observation` keep a true
snapshot and `shared_batch` share memory without copying.
"""

import numpy as np
import torch

# Question. After these lines run:
#
#     a = np.zeros(3, dtype=np.float32)
#     copied = torch.tensor(a)
#     shared = torch.from_numpy(a)
#     a[0] = 7.0
#
# what are copied[0] and shared[0]?
#   "a": both are 7.0
#   "b": copied[0] is 0.0 and shared[0] is 7.0
#   "c": copied[0] is 7.0 and shared[0] is 0.0
#   "d": both are still 0.0
ANSWER = None  # TODO: one of "a", "b", "c", "d"


def store_observation(obs: np.ndarray) -> torch.Tensor:
    """A tensor holding obs's current values that later writes to obs cannot change.

    The environment will overwrite `obs` in place at its next step; what you
    store in the replay buffer must keep today's values. Same shape and dtype
    as `obs`.
    """
    # TODO: is this a snapshot, or a window onto the environment's array?
    return torch.from_numpy(obs)


def shared_batch(batch: np.ndarray) -> torch.Tensor:
    """A tensor that shares batch's memory: no copy, same shape and dtype.

    A large batch of observations you are only going to read does not need to
    be copied; the tensor and the array should be the same numbers.
    """
    # TODO: one call that does not copy
    raise NotImplementedError("wrap the batch without copying it")

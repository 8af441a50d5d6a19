"""What a check process does to itself before it runs learner code.

Limits that protect the machine (a memory ceiling) and a reset of the global
state a previous check could have left (in a forked child: whatever the
parent process held). Only called in a process that exists to run one check.
"""

from __future__ import annotations

import os
import random
import resource
import sys

DEFAULT_MEMORY_LIMIT = 4 * 1024**3


def memory_limit_bytes() -> int:
    """The address-space ceiling for one check: 4 GiB, or less on a small machine."""
    override = os.environ.get("TORCHLINGS_MEMORY_LIMIT")
    if override:
        return int(override)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return DEFAULT_MEMORY_LIMIT
    return min(DEFAULT_MEMORY_LIMIT, total // 2)


def apply_limits(memory_bytes: int) -> None:
    # RLIMIT_AS turns a runaway allocation into a MemoryError / RuntimeError
    # inside the check instead of the kernel's OOM killer freezing the desktop.
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            memory_bytes = min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))
    except (ValueError, OSError):
        pass
    # No core files from a learner's segfault.
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


def prepare_process() -> None:
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # Checks run with exactly the plugins we load, whatever else is installed.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"


def reset_torch_state(seed: int = 0) -> None:
    """Put torch's global switches back to their defaults and seed every RNG."""
    import numpy as np
    import torch

    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    if hasattr(torch, "set_default_device"):
        torch.set_default_device(None)
    torch.use_deterministic_algorithms(False)
    torch.autograd.set_detect_anomaly(False)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)

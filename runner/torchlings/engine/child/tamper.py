"""Noticing the cheap ways learner code could change its own judge.

Learner code runs in the same process as the check, so it could replace the
helpers that judge it: `torch.allclose = lambda *a, **k: True`, a testing
helper that never fails, a pytest function that reports every test as
passed. Before the learner's file is loaded, `snapshot` notes the identity
of every function and class in the modules a check relies on; after the
check, `replaced` names those that are no longer the same object.

This catches replacement, not everything: code that patches objects this
does not watch, edits functions' code objects, or restores what it replaced
before the check ends is not seen. One process cannot fully guard against the
code it runs; the README says so.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Modules whose functions and classes a check's verdict depends on.
WATCHED_MODULES = (
    "builtins", "math", "torch", "torch.testing", "torch.nn.functional", "numpy", "numpy.testing",
    "pytest", "_pytest.runner", "_pytest.python", "_pytest.reports", "_pytest.outcomes",
    "_pytest.main", "_pytest.fixtures", "_pytest.assertion.rewrite", "_pytest.assertion.util",
    "torchlings.checkapi.testing", "torchlings.engine.child.plugin", "torchlings.engine.child.run_check",
    "torchlings.engine.result", "torchlings.engine.host.outcome", "torchlings.engine.child.loader",
    "torchlings.engine.child.check_session",
)
# Classes whose methods (comparisons, above all) the checks rely on.
WATCHED_CLASSES = ("torch.Tensor", "torchlings.engine.child.plugin.Collector",
                   "torchlings.engine.child.check_session.CheckSession")

Snapshot = dict[tuple[str, str], Any]


def _judges(namespace: dict[str, Any]) -> dict[str, Any]:
    # Functions only: some classes are rebound legitimately (torch.Storage
    # follows the default dtype), and replacing a class is not a cheap trick.
    return {name: value for name, value in namespace.items()
            if callable(value) and not isinstance(value, type)}


def _watched() -> dict[str, dict[str, Any]]:
    spaces: dict[str, dict[str, Any]] = {}
    for name in WATCHED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            spaces[name] = vars(module)
    for name in list(sys.modules):
        if name.startswith("torchlings.checkapi.testkit."):
            spaces[name] = vars(sys.modules[name])
    for dotted in WATCHED_CLASSES:
        module_name, _, cls_name = dotted.rpartition(".")
        cls = getattr(sys.modules.get(module_name), cls_name, None)
        if isinstance(cls, type):
            spaces[dotted] = dict(vars(cls))
    return spaces


def snapshot() -> Snapshot:
    return {(space, name): value
            for space, namespace in _watched().items()
            for name, value in _judges(namespace).items()}


def _torch_rewrapped(old: Any, new: Any) -> bool:
    # torch wraps some of its own functions when a part of it is first imported
    # (torch._dynamo wraps torch.manual_seed, for one): the new function wraps
    # the old one, and its code is torch's own.
    if getattr(new, "__wrapped__", None) is not old:
        return False
    torch = sys.modules.get("torch")
    code = getattr(new, "__code__", None)
    home = os.path.dirname(getattr(torch, "__file__", None) or "") + os.sep
    return code is not None and home != os.sep and code.co_filename.startswith(home)


def replaced(before: Snapshot) -> list[str]:
    """Names (like "torch.allclose") whose object is not the one in `before`."""
    now = _watched()
    changed = []
    for (space, name), value in before.items():
        namespace = now.get(space)
        if namespace is None:
            continue
        current = namespace.get(name, value)
        if current is not value and not _torch_rewrapped(value, current):
            changed.append(f"{space}.{name}")
    return sorted(changed)


def message(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"Your code replaced what the check uses to judge it ({shown}). A check cannot trust a "
        "verdict its own code did not reach, so this never counts as done: take the "
        "replacement out, and solve the exercise in the functions it asks for."
    )


def put_back(before: Snapshot, names: list[str]) -> None:
    """Restore the replaced builtins (`names` from `replaced`), so that the
    runner's own code can still report: every `isinstance` in it would
    otherwise answer whatever the learner's replacement says."""
    import builtins

    for (space, name), value in before.items():
        if space == "builtins" and f"builtins.{name}" in names:
            setattr(builtins, name, value)

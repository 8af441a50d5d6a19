"""The static scan: the course's own solutions raise nothing, each way of forging does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.grade import forgeries
from torchlings.grading.suspicion import scan

REPO = Path(__file__).resolve().parents[2]


def test_no_solution_and_no_exercise_of_the_course_is_flagged() -> None:
    files = sorted((REPO / "solutions").rglob("*.py")) + sorted((REPO / "exercises").rglob("*.py"))
    assert len(files) > 100
    assert {str(p.relative_to(REPO)): scan(p.read_bytes()) for p in files
            if scan(p.read_bytes())} == {}


@pytest.mark.parametrize("name", sorted(forgeries.FOOLING))
def test_every_forgery_is_flagged(name: str) -> None:
    assert scan(forgeries.FOOLING[name])


@pytest.mark.parametrize(("source", "reason"), [
    ("import torchlings", "imports torchlings"),
    ("from _pytest import runner", "imports _pytest"),
    ("import sys\nsys._getframe()", "reads frames (sys._getframe)"),
    ("import inspect", "reads frames (imports inspect)"),
    ("class A:\n    def __torch_function__(self): pass", "defines __torch_function__"),
    ("import os\nos._exit(0)", "ends the process (os._exit)"),
    ("open('/x/solutions/a.py')", "mentions the reference solutions"),
    ("__import__('os')", "imports by computed name (__import__)"),
    ("import importlib", "imports by computed name (importlib)"),
    ("exec('1')", "runs code it builds (exec)"),
    ("eval('1')", "runs code it builds (eval)"),
    ("import torch\ntorch.allclose = print", "replaces torch.allclose of a module it imported"),
    ("getattr(__builtins__, 'ex' + 'ec')", "reaches attributes by computed name (getattr)"),
    ("import sys\nsys.modules['x'] = 1", "edits sys.modules"),
    ("import torch\nclass T(torch.Tensor): pass", "subclasses torch.Tensor"),
    ("import torch\ntorch.library.Library('aten', 'IMPL')",
     "registers operator kernels (torch.library)"),
    ("from torch.overrides import TorchFunctionMode",
     "overrides torch functions (TorchFunctionMode)"),
    ("from torch.utils._python_dispatch import TorchDispatchMode",
     "overrides torch operators (TorchDispatchMode)"),
    # Reached without the names a scan looks for: an alias, from-import, getattr.
    ("import sys as s\ns.modules['x']", "edits sys.modules"),
    ("from sys import modules", "edits sys.modules"),
    ("import sys\ngetattr(sys, 'modules')", "edits sys.modules"),
    ("getattr(f, '__globals__')", "reaches interpreter internals (__globals__)"),
    ("import torch\nt = torch\nt.isclose = print", "replaces isclose, which checks judge with"),
    ("def f(out, right):\n    out.detach = right.detach", "replaces detach, which checks judge with"),
    ("object.__setattr__(m, 'isclose', print)", "replaces attributes by name (__setattr__)"),
    ("f.__kwdefaults__['atol'] = 1.0", "changes functions' defaults (__kwdefaults__)"),
    ("class A:\n    __module__ = 'torch.x'", "claims another module's name (__module__)"),
    ("locals()['__torch_' + 'function__'] = f", "defines __torch_function__"),
])


def test_each_reason(source: str, reason: str) -> None:
    assert reason in scan(source)


def test_own_attributes_and_nn_module_methods_are_not_flagged() -> None:
    assert scan("class Net:\n    def __init__(self):\n        self.detach = 1\n"
                "        self.relu = None\n\n\ndef f(model):\n    model.modules()\n"
                "    model.fc = None\n") == []

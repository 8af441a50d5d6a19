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
])
def test_each_reason(source: str, reason: str) -> None:
    assert reason in scan(source)

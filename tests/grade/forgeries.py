"""Learner files that forge a pass for `double` (the test course's tensor exercise).

Each is unsolved (`double` is wrong or raises) and, run by a plain check,
gets "passed" anyway (test_forgeries.py proves that first). Under
`torchlings grade` each must fail or be flagged.
"""

from __future__ import annotations

# Rewrites its own check at import into one that passes, and has that one put
# the original bytes back when pytest imports it: the check on disk is
# unchanged afterwards.
CHECK_REWRITE = '''
import pathlib

_here = pathlib.Path(__file__).resolve()
_check = _here.parents[2] / "checks" / _here.parent.name / ("test_" + _here.name)
_original = _check.read_bytes()
_check.write_text(
    "import pathlib\\n"
    f"pathlib.Path({str(_check)!r}).write_bytes({_original!r})\\n"
    "def test_double():\\n"
    "    pass\\n"
)


def double(t):
    raise NotImplementedError("not solved")
'''

# Replaces the engine's result summary: every check "passes".
ENGINE_SUMMARY = '''
import sys

from torchlings.engine.result import CheckResult, Status

sys.modules["torchlings.engine.child.run_check"].summarise = (
    lambda tests, problem: CheckResult(Status.PASSED, summary="1 of 1 tests pass"))


def double(t):
    raise NotImplementedError("not solved")
'''

# Replaces the result's serialisation: whatever happened is written as a pass.
ENGINE_SERIALISATION = '''
from torchlings.engine.result import CheckResult

_original = CheckResult.to_dict


def _as_passed(self):
    data = _original(self)
    data.update(status="passed", summary="1 of 1 tests pass", problem=None, tests=[])
    return data


CheckResult.to_dict = _as_passed


def double(t):
    raise NotImplementedError("not solved")
'''

# Replaces pytest's report construction: every test's report says "passed".
PYTEST_REPORTS = '''
import _pytest.reports

_original = _pytest.reports.TestReport.from_item_and_call


def _passed(cls, item, call):
    report = _original(item, call)
    report.outcome = "passed"
    report.longrepr = None
    return report


_pytest.reports.TestReport.from_item_and_call = classmethod(_passed)


def double(t):
    raise NotImplementedError("not solved")
'''

# Finds the per-check nonce in a caller's frame, writes a passing result
# with it, and leaves before the check runs.
_WRITE_RESULT_AND_LEAVE = '''
while _frame is not None and "nonce" not in _frame.f_locals:
    _frame = _frame.f_back
_result = {"status": "passed", "summary": "1 of 1 tests pass",
           "tests": [{"name": "test_double", "outcome": "passed"}]}
with open(_frame.f_locals["request"]["result"], "w") as _out:
    json.dump({"nonce": _frame.f_locals["nonce"], "result": _result}, _out)
os._exit(0)
'''
NONCE_FROM_FRAMES = '''
import json
import os
import sys

_frame = sys._getframe()
''' + _WRITE_RESULT_AND_LEAVE

NONCE_FROM_TRACEBACK = '''
import json
import os

try:
    raise RuntimeError
except RuntimeError as _error:
    _frame = _error.__traceback__.tb_frame
''' + _WRITE_RESULT_AND_LEAVE

# A tensor subclass whose comparisons always agree: `double` returns 3 * t.
AGREEABLE_TENSOR = '''
import torch


class _Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (torch.isclose, torch.Tensor.eq, torch.Tensor.__eq__):
            with torch._C.DisableTorchFunctionSubclass():
                return torch.ones(args[0].shape, dtype=torch.bool)
        if func in (torch.Tensor.ne, torch.Tensor.__ne__):
            with torch._C.DisableTorchFunctionSubclass():
                return torch.zeros(args[0].shape, dtype=torch.bool)
        if func in (torch.allclose, torch.equal):
            return True
        return super().__torch_function__(func, types, args, kwargs)


def double(t):
    return (t * 3).as_subclass(_Agreeable)
'''


# While the test runs, replaces the check's own helper through sys.modules.
CHECK_HELPER = '''
import sys


def double(t):
    sys.modules["test_double"].expect_tensor = lambda actual, **kwargs: actual
    return t
'''

# Registers its own kernel for aten::isclose: every comparison agrees. No
# audit event marks it, so the grade can only flag it (the scan sees
# torch.library), not stop it.
OPERATOR_KERNEL = '''
import torch

_library = torch.library.Library("aten", "IMPL")


def _agree(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return torch.ones(a.shape, dtype=torch.bool)


_library.impl("isclose", _agree, "CPU")


def double(t):
    return t * 3
'''


# Makes pytest load the exercise itself as a plugin (PYTEST_ADDOPTS is read
# after the exercise is imported), whose report hook turns failures into passes.
PYTEST_PLUGIN = '''
import os

import pytest

os.environ["PYTEST_ADDOPTS"] = "-p " + __name__


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None


def double(t):
    raise NotImplementedError("not solved")
'''


# Not a tensor at all: an object that claims torch.Tensor as its __class__
# and answers torch's functions itself, every comparison agreeing.
SPOOFED_TENSOR = '''
import torch


class _Spoof:
    def __init__(self, data):
        self.data = data

    @property
    def __class__(self):
        return torch.Tensor

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)

    def detach(self):
        return self

    def cpu(self):
        return self

    def double(self):
        return self

    def is_floating_point(self):
        return True

    def is_complex(self):
        return False

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return torch.ones(args[0].data.shape, dtype=torch.bool)


def double(t):
    return _Spoof(t * 3)
'''


# Loosens the check's helper in place: expect_tensor's keyword default `atol`
# (a dict no identity comparison sees), reached through sys.modules by a name
# built at run time.
KWDEFAULTS = '''
from sys import modules


def double(t):
    helper = modules["torch" + "lings.checkapi.testing"].expect_tensor
    helper.__kwdefaults__["atol"] = float("inf")
    return t * 3
'''

# Replaces torch.isclose while the test runs and puts it back at its first call:
# the verdict, which compares the end state, sees the original.
RESTORE_ISCLOSE = '''
import torch

_t = torch
_real = torch.isclose


def _agree(a, b, **kwargs):
    _t.isclose = _real
    return torch.ones(a.shape, dtype=torch.bool)


def double(t):
    _t.isclose = _agree
    return t * 3
'''

# A Tensor subclass (its base reached as type(...)) that says it is torch's own
# (`__module__`), its __torch_function__ set by a name built at run time.
SPOOF_MODULE_SUBCLASS = '''
import torch

cls = torch.Tensor
_default = getattr(cls, "__torch_" + "function__").__func__


class _Agree(type(torch.ones(1))):
    __module__ = "torch.fake"

    def _f(cls, func, types, args=(), kwargs=None):
        if func is torch.isclose:
            return torch.ones(args[0].shape, dtype=torch.bool)
        return _default(cls, func, types, args, kwargs or {})

    locals()["__torch_" + "function__"] = classmethod(_f)


def double(t):
    return (t * 3).as_subclass(_Agree)
'''

# A torch function mode that agrees at isclose, then takes itself off the stack
# (from a __del__) before the verdict looks for modes left on.
MODE_POPS_ITSELF = '''
from sys import modules

import torch

_Mode = modules["torch.over" + "rides"].TorchFunctionMode


class _Leave:
    def __init__(self, mode):
        self.mode = mode

    def __del__(self):
        self.mode.__exit__(None, None, None)


class _Agree(_Mode):
    def _f(self, func, types, args=(), kwargs=None):
        if func is torch.isclose:
            agree = torch.ones(args[0].shape, dtype=torch.bool)
            agree.leave = _Leave(self)
            return agree
        return func(*args, **(kwargs or {}))

    locals()["__torch_" + "function__"] = _f


def double(t):
    _Agree().__enter__()
    return t * 3
'''

# RESTORE_ISCLOSE through object.__setattr__, past the judge's module's own
# __setattr__: flagged by the scan, not stopped.
RESTORE_BY_OBJECT_SETATTR = '''
import torch

_t = torch
_real = torch.isclose


def _agree(a, b, **kwargs):
    object.__setattr__(_t, 'isclose', _real)
    return torch.ones(a.shape, dtype=torch.bool)


def double(t):
    object.__setattr__(_t, 'isclose', _agree)
    return t * 3
'''


# A tensor that carries its own `detach` (a method of the right answer): the
# check's `actual.detach()` finds it before torch's.
INSTANCE_DETACH = '''
def double(t):
    out = t * 3
    out.detach = (t * 2).detach
    return out
'''

# A Tensor subclass claiming torch's module, whose `detach` is a C method bound
# to the right answer (no Python code of the learner's in the class at all).
SUBCLASS_C_METHOD = '''
import torch


class _Fixed(type(torch.ones(1))):
    __module__ = "torch.fixed"
    detach = staticmethod(torch.tensor([2.0, 4.0]).clone)


def double(t):
    return (t * 3).as_subclass(_Fixed)
'''


def run_solution(solutions: str) -> str:
    """Executes the reference solution that ships with the installed course."""
    return f'''
exec(open({solutions + "/01_basics/double.py"!r}).read())
'''


# The forgeries that fool a plain (unsealed) check, by name.
FOOLING = {
    "check_rewrite": CHECK_REWRITE,
    "engine_summary": ENGINE_SUMMARY,
    "engine_serialisation": ENGINE_SERIALISATION,
    "pytest_reports": PYTEST_REPORTS,
    "nonce_from_frames": NONCE_FROM_FRAMES,
    "nonce_from_traceback": NONCE_FROM_TRACEBACK,
    "agreeable_tensor": AGREEABLE_TENSOR,
    "check_helper": CHECK_HELPER,
    "pytest_plugin": PYTEST_PLUGIN,
    "operator_kernel": OPERATOR_KERNEL,
    "kwdefaults": KWDEFAULTS,
    "restore_isclose": RESTORE_ISCLOSE,
    "spoof_module_subclass": SPOOF_MODULE_SUBCLASS,
    "mode_pops_itself": MODE_POPS_ITSELF,
    "restore_by_object_setattr": RESTORE_BY_OBJECT_SETATTR,
    "instance_detach": INSTANCE_DETACH,
    "subclass_c_method": SUBCLASS_C_METHOD,
}
# Stopped by the check helpers themselves (a plain check too, since it was found).
STOPPED_BY_CHECKS = {"spoofed_tensor": SPOOFED_TENSOR}
# Fooled a plain check before pytest was set up ahead of the learner's file; now the
# check is collected (and pytest configured) first, so a plain check stops them too.
# The grade must still stop them (they stay in FOOLING for that).
NOW_STOPPED_BY_A_PLAIN_CHECK = {"check_rewrite", "pytest_plugin"}
# Replacing an engine function at import is named by the tamper watch right after the
# learner's file loads, in a plain check too.
NOW_STOPPED_BY_A_PLAIN_CHECK |= {"engine_summary"}
# Those the grade flags but lets pass.
ONLY_FLAGGED = {"operator_kernel", "restore_by_object_setattr"}

"""What the grade's witness (guard.py) watches.

The event names and lists the hook tests against, and the namespaces and
classes whose functions a verdict depends on. guard.py copies all of this
into the hook's private globals when it installs it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import FunctionType
from typing import Any

VERDICT_EVENT = "torchlings.verdict"
# Raised by pinned.PinnedModule once the check module is built: its functions
# join what the verdict compares (learner code could replace the check's own
# `expect_tensor` through sys.modules while a test runs).
CHECK_LOADED_EVENT = "torchlings.check_loaded"
# Raised by the judge's modules (guard.WatchedModule) when an attribute is set or removed.
MODULE_WRITE_EVENT = "torchlings.module_write"
# Raised by torch.Tensor's __setattr__ under a grade when a tensor is given an
# attribute that hides one of torch.Tensor's methods.
TENSOR_SHADOW_EVENT = "torchlings.tensor_shadow"
# Raised (under a grade) when a subclass of torch.Tensor or of a torch mode class is made.
SUBCLASS_EVENT = "torchlings.subclass"

# Frame-reading attributes CPython audits as object.__getattr__.
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
FATAL_IF_LEARNER = frozenset({
    "sys._getframe", "sys._current_frames", "sys._current_exceptions",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "sys.settrace", "sys.setprofile", "sys._setprofileallthreads", "sys._settraceallthreads",
})
PATH_CHANGES = frozenset({
    "os.remove", "os.rename", "os.truncate", "os.chmod", "os.chown", "os.mkdir", "os.rmdir",
    "os.symlink", "os.link", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move",
    "shutil.copytree",
})
PROCESSES = frozenset({
    "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "os.kill", "os.killpg", "pty.spawn", "signal.pthread_kill",
})
_OTHER = frozenset({"object.__getattr__", "object.__setattr__", "object.__delattr__", "open",
                    "import", "exec", "compile", "sys.addaudithook", "os.listdir",
                    "os.scandir", "code.__new__", "function.__new__", "marshal.loads",
                    "os.chdir", "os.putenv", "os.unsetenv", VERDICT_EVENT,
                    CHECK_LOADED_EVENT, MODULE_WRITE_EVENT, TENSOR_SHADOW_EVENT,
                    SUBCLASS_EVENT})
WATCHED_EVENTS = FATAL_IF_LEARNER | PATH_CHANGES | PROCESSES | _OTHER
JUDGE_PACKAGES = ("torchlings", "pytest", "_pytest", "pluggy")
# Reads of /proc that torch and the standard library make on their own.
PROC_READS = frozenset({"/proc/cpuinfo", "/proc/meminfo", "/proc/self/status",
                         "/proc/self/stat", "/proc/self/statm", "/proc/stat"})

# Modules (beyond tamper.WATCHED_MODULES) whose functions the verdict's path uses.
MORE_MODULES = ("os", "posixpath", "json", "json.encoder", "json.decoder", "pathlib", "io",
                 "hashlib", "hmac", "linecache", "traceback", "shutil", "signal", "types",
                 "torch.overrides", "torch.nn", "torch.nn.modules.module")
WATCHED_CLASS_NAMES = ("torch.Tensor", "torch.nn.Module", "torch.nn.Parameter",
                        "_pytest.reports.TestReport", "_pytest.runner.CallInfo",
                        "_pytest.python.Function", "_pytest.python.Module",
                        "torchlings.engine.result.CheckResult",
                        "torchlings.engine.result.TestOutcome",
                        "torchlings.engine.child.plugin.Collector",
                        "torchlings.engine.child.pinned.PinnedModule",
                        "torch._C.TensorBase", "torch._C._TensorBase", "torch.optim.Optimizer",
                        # Not SGD, Adam...: torch wraps their `step` for its profiler
                        # when the first one is built.
                        "torch.autograd.Function", "torch.utils.data.DataLoader",
                        "pathlib.Path",
                        "pathlib.PosixPath")


def watched_namespaces() -> list[tuple[str, Mapping[str, Any]]]:
    from torchlings.engine.child import tamper

    names = set(tamper.WATCHED_MODULES) | set(MORE_MODULES)
    names |= {n for n in sys.modules if n.split(".")[0] in JUDGE_PACKAGES}
    spaces: list[tuple[str, Mapping[str, Any]]] = []
    for name in sorted(names):
        module = sys.modules.get(name)
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            spaces.append((name, namespace))
    for dotted in WATCHED_CLASS_NAMES:
        module_name, _, cls_name = dotted.rpartition(".")
        cls = getattr(sys.modules.get(module_name), cls_name, None)
        if isinstance(cls, type):
            spaces.append((dotted, cls.__dict__))  # a live view of the class
    return spaces


# torch wraps torch.manual_seed when torch._dynamo is first imported (the
# first optimizer a check builds): not learner code's doing.
REWRAPPED_BY_TORCH = frozenset({("torch", "manual_seed")})
DYNAMO_PATCHES = frozenset({("torch.nn.Module", "__init__"), ("torch.nn.Module", "__setstate__")})


# The check API's own records, filled while a check runs.
RECORDED = frozenset({"_notes", "_series", "_episode", "_contracts"})
CHECK_API = "torchlings.checkapi"


def judge_data(snapshot: list[tuple[str, Any, dict[str, Any]]],
               spaces: list[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, Any]]:
    """(label, container) for what the verdict compares in place: every
    keyword-defaults dict of the judge's functions, and the dicts and lists the
    check API keeps at module level."""
    found: list[tuple[str, Any]] = []
    for label, _, names in snapshot:
        for name, value in names.items():
            function = getattr(value, "__func__", value) if isinstance(
                value, (classmethod, staticmethod)) else value
            defaults = getattr(function, "__kwdefaults__", None) \
                if type(function) is FunctionType else None
            if type(defaults) is dict:
                found.append((f"{label}.{name} (its defaults)", defaults))
    for label, namespace in spaces:
        if label != CHECK_API and not label.startswith(CHECK_API + "."):
            continue
        for name, value in dict(namespace).items():
            if name in RECORDED:
                continue
            if type(value) in (dict, list):
                found.append((f"{label}.{name}", value))
    return found


def mode_classes() -> list[type]:
    """torch's base classes of function and dispatch modes: a mode of the
    learner's can pop itself off the stack before the verdict, but its class stays."""
    found = []
    for module, name in (("torch.overrides", "TorchFunctionMode"),
                         ("torch.utils._python_dispatch", "TorchDispatchMode")):
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return found


def not_dumpable() -> None:
    # Other processes of the same user (learner code that forked, another
    # check) can then neither ptrace this one nor read its memory.
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError, ImportError):
        pass

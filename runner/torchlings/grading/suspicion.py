"""What in a learner's source looks like an attempt on its judge: a static scan.

Read in the grading process, never run: learner code cannot change this
verdict. It names what an exercise has no need for and every known way of
forging a grade needs one of: reaching the judge (importing torchlings or
pytest), reading frames, replacing functions of modules it imported,
defining `__torch_function__`, ending the process, reaching the reference
solutions, or importing and running code by a computed name. A teacher reads
these reasons, not the code; the reference solutions raise none of them
(tests/grade/test_suspicion.py).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

# Records one reason (None: nothing to record).
Flag = Callable[[str | None], None]

_JUDGE_MODULES = {"torchlings", "pytest", "_pytest", "pluggy"}
_MODULE_REASONS = {
    "inspect": "reads frames (imports inspect)",
    "gc": "walks the interpreter's objects (imports gc)",
    "ctypes": "uses ctypes",
    "importlib": "imports by computed name (importlib)",
    "runpy": "runs other files (runpy)",
    "builtins": "changes builtins",
    "marshal": "builds code objects (marshal)",
    "subprocess": "starts processes (subprocess)",
    "multiprocessing": "starts processes (multiprocessing)",
    "pty": "starts processes (pty)",
    "signal": "changes signal handling (signal)",
    "atexit": "runs code when the process ends (atexit)",
    "faulthandler": "changes how the process ends (faulthandler)",
    "code": "runs code it builds (code)",
}
_CALL_REASONS = {
    "__import__": "imports by computed name (__import__)",
    "exec": "runs code it builds (exec)",
    "eval": "runs code it builds (eval)",
    "compile": "runs code it builds (compile)",
    "globals": "edits module globals (globals())",
    "vars": "reaches objects' namespaces (vars())",
    "setattr": "replaces attributes by name (setattr)",
    "delattr": "removes attributes by name (delattr)",
    "breakpoint": "starts a debugger",
}
_ATTRIBUTE_REASONS = {
    "_getframe": "reads frames (sys._getframe)",
    "_current_frames": "reads frames (sys._current_frames)",
    "settrace": "traces execution (settrace)",
    "setprofile": "traces execution (setprofile)",
    "tb_frame": "reads frames (tb_frame)",
    "f_back": "reads frames (f_back)",
    "f_locals": "reads frames (f_locals)",
    "f_globals": "reads frames (f_globals)",
    "gi_frame": "reads frames (gi_frame)",
    "_exit": "ends the process (os._exit)",
    "modules": None,  # only sys.modules: see below
    "__globals__": "reaches interpreter internals (__globals__)",
    "__code__": "reaches interpreter internals (__code__)",
    "__closure__": "reaches interpreter internals (__closure__)",
    "__subclasses__": "reaches interpreter internals (__subclasses__)",
    "__builtins__": "changes builtins",
    "__dict__": "reaches objects' namespaces (__dict__)",
    "__torch_function__": "defines __torch_function__",
    "__torch_dispatch__": "defines __torch_dispatch__",
    "__setattr__": "replaces attributes by name (__setattr__)",
    "__delattr__": "removes attributes by name (__delattr__)",
    "__kwdefaults__": "changes functions' defaults (__kwdefaults__)",
    "__defaults__": "changes functions' defaults (__defaults__)",
    "system": None,  # only os.system
    "popen": None,
}
_NAME_REASONS = {
    "__torch_function__": "defines __torch_function__",
    "__torch_dispatch__": "defines __torch_dispatch__",
    "__builtins__": "changes builtins",
    "__file__": "locates its own file on disk (__file__)",
    "__loader__": "reaches its loader (__loader__)",
    "__spec__": "reaches its loader (__spec__)",
    "__module__": "claims another module's name (__module__)",
}
# Names of what the checks judge with: assigned as an attribute of anything but
# `self`, it is a replacement of the judge, whatever the object was reached through.
_JUDGE_ATTRIBUTES = frozenset({
    "isclose", "allclose", "equal", "eq", "ne", "__eq__", "__ne__", "__bool__", "__len__",
    "all", "any", "isinstance", "issubclass", "len", "is_tensor", "is_floating_point",
    "isfinite", "isnan", "assert_close", "assert_allclose", "testing", "summarise",
    "__instancecheck__", "__subclasscheck__", "__class__",
    # torch.Tensor's methods that checks call on what the learner returns.
    "detach", "cpu", "double", "clone", "item", "tolist", "numel", "dim", "expand_as",
    "is_complex", "__getitem__", "__invert__",
})
_STRING_HINTS = {
    "solutions": "mentions the reference solutions",
    "/proc/": "reads /proc",
    "torchlings": "mentions torchlings",
    "__torch_function__": "defines __torch_function__",
    "_getframe": "reads frames (sys._getframe)",
    "_exit": "ends the process (os._exit)",
    "PYTEST": "sets pytest's options (PYTEST_...)",
    "__torch_": "defines __torch_function__",
}


def scan(source: bytes | str) -> list[str]:
    """The reasons, in the order first met; [] for code with nothing to flag."""
    reasons: list[str] = []

    def flag(reason: str | None) -> None:
        if reason and reason not in reasons:
            reasons.append(reason)

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []  # it does not even compile: the check says so, and it cannot pass
    imported: set[str] = set()
    # Every name `sys` is bound to: sys.modules reached through an alias is still sys.modules.
    sys_names = {"sys"} | {alias.asname for node in ast.walk(tree) if isinstance(node, ast.Import)
                           for alias in node.names if alias.name == "sys" and alias.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sys" and \
                any(alias.name == "modules" for alias in node.names):
            flag("edits sys.modules")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""]
            for alias in node.names:
                imported.add((alias.asname or alias.name).split(".")[0])
            for name in names:
                top = name.split(".")[0]
                for part in name.split(".")[1:] if top == "torch" else ():
                    flag(_TORCH_OVERRIDES.get(part))
                if top in _JUDGE_MODULES:
                    flag(f"imports {top}")
                flag(_MODULE_REASONS.get(top))
                if "solutions" in name:
                    flag("imports the reference solutions")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    flag(_ATTRIBUTE_REASONS.get(alias.name))
                    if (node.module or "").startswith("torch"):
                        flag(_TORCH_OVERRIDES.get(alias.name))
                    if node.module in ("os",) and alias.name in ("system", "popen", "_exit"):
                        flag("ends the process (os._exit)" if alias.name == "_exit"
                             else "starts processes (os.system)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            flag(_CALL_REASONS.get(node.func.id))
            # getattr(self, name) is ordinary; by computed name on anything else
            # (a module, builtins) it is how a scan like this one is dodged.
            if node.func.id == "getattr" and len(node.args) > 1 and \
                    not isinstance(node.args[1], ast.Constant) and \
                    _dotted(node.args[0]) not in ("self", "cls"):
                flag("reaches attributes by computed name (getattr)")
            # getattr(x, "name") reaches what x.name does: judged the same way.
            if node.func.id in ("getattr", "setattr", "hasattr", "delattr") and \
                    len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and \
                    isinstance(node.args[1].value, str):
                _attribute(ast.Attribute(value=node.args[0], attr=node.args[1].value), flag,
                           sys_names)
            if node.func.id == "type" and len(node.args) == 3:
                flag("builds classes at run time (type())")
        elif isinstance(node, ast.Attribute):
            _attribute(node, flag, sys_names)
        elif isinstance(node, ast.Name):
            flag(_NAME_REASONS.get(node.id))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for hint, reason in _STRING_HINTS.items():
                if hint in node.value:
                    flag(reason)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name in ("__torch_function__", "__torch_dispatch__"):
            flag(f"defines {node.name}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name.startswith("pytest_"):
            flag(f"defines a pytest hook ({node.name})")
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                if _dotted(base) in ("torch.Tensor", "Tensor", "torch._C.TensorBase",
                                     "torch._C._TensorBase"):
                    flag("subclasses torch.Tensor")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                _replaces_module_attribute(target, imported, flag)
    return reasons


# torch's own ways of changing what its functions do, none of which an exercise needs.
_TORCH_OVERRIDES = {
    "library": "registers operator kernels (torch.library)",
    "TorchFunctionMode": "overrides torch functions (TorchFunctionMode)",
    "TorchDispatchMode": "overrides torch operators (TorchDispatchMode)",
    "_python_dispatch": "overrides torch operators (_python_dispatch)",
    "overrides": "overrides torch functions (torch.overrides)",
    "_C": "reaches torch's C internals (torch._C)",
}


def _attribute(node: ast.Attribute, flag: Flag, sys_names: set[str]) -> None:
    owner = _dotted(node.value)
    if owner.split(".")[0] == "torch" and node.attr in _TORCH_OVERRIDES:
        flag(_TORCH_OVERRIDES[node.attr])
    if node.attr == "modules" and owner in sys_names:
        flag("edits sys.modules")
    elif node.attr in ("system", "popen") and owner == "os":
        flag("starts processes (os.system)")
    elif node.attr.startswith("exec") and owner == "os":
        flag("starts processes (os.exec)")
    else:
        flag(_ATTRIBUTE_REASONS.get(node.attr))


def _replaces_module_attribute(target: ast.AST, imported: set[str], flag: Flag) -> None:
    """`torch.allclose = ...`, `json.dumps = ...`: replacing what another module holds."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _replaces_module_attribute(element, imported, flag)
        return
    if isinstance(target, ast.Attribute) and (target.attr in _JUDGE_ATTRIBUTES
                                              or target.attr.startswith("expect")) and \
            _dotted(target.value) not in ("self", "cls"):
        flag(f"replaces {target.attr}, which checks judge with")
    if isinstance(target, (ast.Attribute, ast.Subscript)):
        root = target.value
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name) and root.id in imported and isinstance(target, ast.Attribute):
            flag(f"replaces {_dotted(target) or target.attr} of a module it imported")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""

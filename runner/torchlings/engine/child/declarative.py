"""Whether a check file only declares things, so importing it runs no code of its own.

The warm worker imports and collects a check before it forks (see
`check_session`), and that import runs in the worker, which every later check
is forked from. So it only does that for a check whose top level can do no
harm there: no loop that never ends, no exit, no thread, no draw from a random
generator, no tensor work, and no import that could reach a file the learner
controls (which would then stay loaded, stale, in every child). Any other check
is imported by the check process itself, as every check used to be: slower,
never different.

The test is on the source, before anything runs, and errs towards "no". At
the top level (and in class bodies) a check may hold docstrings, imports of
modules the worker has already loaded from the standard library, the installed
packages or torchlings itself, function and class definitions, and
assignments; every expression evaluated at import (values, decorators,
defaults, annotations, base classes) may name things, read attributes, build
literals and containers and do arithmetic, and call only pytest's markers and
fixtures and a few pure built-ins.
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

# Calls allowed while a check is imported: pure, and trusted with any argument
# a declarative module can build.
_PURE_CALLS = frozenset({
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "frozenset", "int", "len",
    "list", "max", "min", "repr", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip", "staticmethod", "classmethod", "property",
    "math.sqrt", "math.log", "math.exp", "math.pow", "math.isclose", "math.ceil", "math.floor",
    "pytest.fixture", "pytest.param", "pytest.approx",
})
# Calls of these, and of anything below them (pytest.mark.parametrize(...)).
_PURE_PREFIXES = ("pytest.mark.",)
# What the first part of an allowed call must be bound to: a module imported
# under its own name, or (built-ins) nothing at all in the check.
_CALL_ROOTS = {"math": "math", "pytest": "pytest"}
# Names that would make pytest run code of the check's while collecting it:
# hooks (pytest_generate_tests) and settings (pytest_plugins).
_COLLECTION_HOOKS = ("pytest_",)
# Methods Python calls while a class is being defined or looked up, not when
# it is used: a check's own would run in the worker.
_IMPORT_TIME_METHODS = frozenset({"__init_subclass__", "__class_getitem__", "__set_name__",
                                  "__mro_entries__", "__prepare__"})

_EXPRESSIONS = (
    ast.Constant, ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Starred,
    ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice,
    ast.JoinedStr, ast.FormattedValue, ast.Lambda, ast.Call, ast.keyword, ast.arguments, ast.arg,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
)


# Operations whose result is no bigger than their operands put together.
_SMALL_OPERATIONS = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.BitOr, ast.BitAnd)


def _number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner is not None else None
    return None


def _import_time_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of `tree` that is evaluated when the module is imported.

    Function bodies are left out: their names are their own, bound when called.
    """
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending.extend([*node.decorator_list, node.args, *filter(None, [node.returns])])
        elif isinstance(node, ast.Lambda):
            pending.append(node.args)
        else:
            pending.extend(ast.iter_child_nodes(node))


class _Check:
    """One check's source, judged statement by statement."""

    def __init__(self, tree: ast.Module, loaded: LoadedModules) -> None:
        self.loaded = loaded
        # Every name the check binds anywhere, and to what: a call of `list`
        # must reach the built-in, and one of `pytest.mark` pytest itself.
        self.bound: dict[str, set[str]] = {}
        for node in _import_time_nodes(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    target = alias.name if isinstance(node, ast.Import) else f"from {alias.name}"
                    self._bind((alias.asname or alias.name).split(".")[0], target)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._bind(node.name, "definition")
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self._bind(node.id, "assignment")

    def statement(self, node: ast.stmt, in_class: bool = False) -> bool:
        if isinstance(node, ast.Expr):
            return isinstance(node.value, ast.Constant)  # a docstring
        if isinstance(node, ast.Pass):
            return True
        if isinstance(node, ast.Import):
            return not in_class and all(self.loaded.trusted(a.name) for a in node.names)
        if isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                return True
            if in_class or node.level or node.module is None or not self.loaded.trusted(node.module):
                return False
            return all(a.name != "*" and self.loaded.has(node.module, a.name) for a in node.names)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            special = (node.name in _IMPORT_TIME_METHODS if in_class
                       else node.name.startswith(("__", *_COLLECTION_HOOKS)))  # __getattr__
            return (not special and all(self.expression(d) for d in node.decorator_list)
                    and self.arguments(node.args) and self.expression(node.returns))
        if isinstance(node, ast.ClassDef):
            return (not node.keywords  # a metaclass runs code of its own
                    and all(self.expression(e) for e in [*node.bases, *node.decorator_list])
                    and all(self.statement(s, in_class=True) for s in node.body))
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            banned = _IMPORT_TIME_METHODS if in_class else _COLLECTION_HOOKS
            return (all(_name_target(t) for t in targets)
                    and not any(n in banned or n.startswith(_COLLECTION_HOOKS) for n in names)
                    and self.expression(getattr(node, "annotation", None))
                    and self.expression(node.value))
        return False

    def _bind(self, name: str, how: str) -> None:
        self.bound.setdefault(name, set()).add(how)

    def _pure_call(self, call: ast.Call) -> bool:
        name = _dotted(call.func)
        if name is None or not (name in _PURE_CALLS or name.startswith(_PURE_PREFIXES)):
            return False
        root = name.split(".")[0]
        if self.bound.get(root, set()) != ({_CALL_ROOTS[root]} if root in _CALL_ROOTS else set()):
            return False
        # pytest calls `ids=` while it collects: only a plain list of names will do.
        for keyword in call.keywords:
            if keyword.arg == "ids" and not (
                    isinstance(keyword.value, (ast.List, ast.Tuple))
                    and all(isinstance(e, ast.Constant) for e in keyword.value.elts)):
                return False
        return True

    def expression(self, node: ast.AST | None) -> bool:
        if node is None:
            return True
        if not isinstance(node, _EXPRESSIONS):
            return False  # await, yield, a walrus (:=)...
        if isinstance(node, ast.BinOp) and not isinstance(node.op, _SMALL_OPERATIONS):
            # "x" * 10**9 would fill the worker's memory: only numbers multiply here.
            if not (_number(node.left) and _number(node.right)) or isinstance(node.op, ast.Pow):
                return False
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            return False  # f"{x:>1000000000}"
        if isinstance(node, ast.Call) and not self._pure_call(node):
            return False
        if isinstance(node, ast.Lambda):
            return self.arguments(node.args)  # its body runs when it is called, not now
        return all(self.expression(child) for child in ast.iter_child_nodes(node))

    def arguments(self, args: ast.arguments) -> bool:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        annotations = [a.annotation for a in every if a is not None]
        return all(self.expression(e) for e in [*args.defaults, *args.kw_defaults, *annotations])


def _name_target(target: ast.expr) -> bool:
    # `x = ...` or `a, b = ...`; never `torch.x = ...` or `d[k] = ...`, which change other objects.
    return all(isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.expr_context))
               for t in ast.walk(target))


class LoadedModules:
    """What the worker already imported, from places a learner does not edit."""

    def __init__(self) -> None:
        import torchlings

        paths = sysconfig.get_paths()
        roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
        roots.add(os.path.dirname(torchlings.__file__))
        self._roots = tuple(os.path.realpath(r) + os.sep for r in roots)
        self._seen: dict[str, bool] = {}

    def trusted(self, name: str) -> bool:
        module = sys.modules.get(name)
        if module is None:
            return False  # importing it would run code, found wherever sys.path leads
        where = getattr(module, "__file__", None)
        if where is None:
            return True  # built into the interpreter
        if where not in self._seen:
            self._seen[where] = os.path.realpath(where).startswith(self._roots)
        return self._seen[where]

    def has(self, module: str, name: str) -> bool:
        if hasattr(sys.modules[module], name):
            return True
        return self.trusted(f"{module}.{name}")


def is_declarative(source: bytes, loaded: LoadedModules | None = None) -> bool:
    """True when importing a check with this source runs nothing but declarations."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False  # the check process reports it, as it always has
    check = _Check(tree, loaded or LoadedModules())
    return all(check.statement(node) for node in tree.body)


def read_check(path: str | Path, limit: int = 1024 * 1024) -> bytes | None:
    """A check file's bytes, or None when it is not a small regular file.

    Never blocks and never reads without end: the path could lead to a FIFO or
    a device as easily as to a file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        import stat

        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks, size = [], 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return None
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)

"""Collect a check from bytes held in memory, never from its file (under a grade).

Learner code runs before pytest collects the check, and could rewrite the
check file on disk (and put the original bytes back once the rewritten one
had run). Under `torchlings grade` the runner reads every check before any
learner code runs and hands the bytes to the check process; this plugin
makes pytest compile the check module from those bytes, with pytest's
assertion rewriting, so what is on disk is never read as code.
"""

from __future__ import annotations

import ast
import linecache
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from _pytest.assertion.rewrite import rewrite_asserts


class PinnedModule(pytest.Module):
    pinned_source: bytes = b""

    def _getobj(self) -> types.ModuleType:
        source = self.pinned_source
        filename = str(self.path)
        try:
            tree = ast.parse(source, filename=filename)
        except SyntaxError as exc:
            raise self.CollectError(f"The check does not compile: {exc}") from exc
        rewrite_asserts(tree, source, filename, self.config)
        code = compile(tree, filename, "exec", dont_inherit=True)
        text = source.decode("utf-8", errors="replace")
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        module = types.ModuleType(self.path.stem)
        module.__file__ = filename
        sys.modules[module.__name__] = module
        exec(code, module.__dict__)
        # The grade's witness notes the check's functions as they are now.
        sys.audit("torchlings.check_loaded", module.__dict__, module)
        self.config.pluginmanager.consider_module(module)
        return module


class PinnedCheck:
    """A pytest plugin: the module at `path` is built from `source`."""

    def __init__(self, path: Path, source: bytes) -> None:
        self.path = Path(path)
        self.source = source

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: Any) -> pytest.Module | None:
        if Path(module_path) != self.path:
            return None
        module = PinnedModule.from_parent(parent, path=module_path)
        module.pinned_source = self.source
        return module

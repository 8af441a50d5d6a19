"""Load a learner's exercise file from its current bytes.

No import system, no bytecode cache: the file is read, compiled and executed
into a new module, so an edit is always seen, even two edits of the same size
within one second (which can fool a cache keyed on size and mtime). The source
that ran is put into `linecache`, so tracebacks quote the lines that actually
executed, not whatever the file holds a moment later.
"""

from __future__ import annotations

import linecache
import sys
import types
from pathlib import Path

from torchlings.engine import regular_file

_loaded: dict[Path, types.ModuleType] = {}


def module_name_for(path: Path) -> str:
    # Registered in sys.modules so pickling and dataclasses work; prefixed so
    # an exercise called `random.py` never shadows the standard library.
    return f"torchlings_exercise_{path.stem}"


def load_exercise(path: str | Path, source: bytes | None = None) -> types.ModuleType:
    """Return the learner module at `path`, executing it once per process.

    `source`, when given (under a grade), is the code to run in place of the
    file's bytes: read by the runner before any learner code ran.
    """
    path = Path(path).resolve()
    if path in _loaded:
        return _loaded[path]
    if source is None:
        source = regular_file.read_bounded(path)  # a pipe or a device: an error, never a wait
    text = source.decode("utf-8", errors="replace")
    linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
    code = compile(source, str(path), "exec", dont_inherit=True)
    name = module_name_for(path)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    _loaded[path] = module
    return module

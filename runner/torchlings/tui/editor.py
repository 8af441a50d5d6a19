"""Which editor the e key starts, and with what arguments."""

from __future__ import annotations

import os
import shlex
from pathlib import Path


def editor_command(edit_cmd: str | None, path: Path) -> list[str] | None:
    """--edit-cmd, else $VISUAL, else $EDITOR; `{path}` (or `{}`) stands for the file,
    which is otherwise appended. None when no editor is set."""
    command = edit_cmd or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command:
        return None
    argv = shlex.split(command)
    if any("{path}" in arg or "{}" in arg for arg in argv):
        return [arg.replace("{path}", str(path)).replace("{}", str(path)) for arg in argv]
    return [*argv, str(path)]

"""Which editor the e key starts, with what arguments, and starting it."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

from textual.app import App


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


def run_editor(app: App[Any], argv: list[str] | None) -> None:
    """Hand the terminal to the editor until it exits; say what went wrong, if anything."""
    if argv is None:
        app.notify("No editor set: export EDITOR (e.g. EDITOR=vim) or start with "
                   "--edit-cmd 'code -r'.", severity="warning", timeout=8)
        return
    try:
        with app.suspend():
            subprocess.run(argv, check=False)
    except FileNotFoundError:
        app.notify(f"Could not start the editor {argv[0]!r}.", severity="error")
    except Exception as exc:  # no terminal to hand over (e.g. under a test driver)
        app.notify(f"Could not open the editor: {exc}", severity="error")

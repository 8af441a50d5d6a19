"""Making control characters visible, so learner output can never drive the terminal.

A learner's print of "\\x1b[?1049h" would switch the runner's terminal to the
alternate screen; other sequences change its title, turn on mouse reporting
or overwrite the watch screen's header. Every text in a CheckResult passes
through `visible` in the engine, before any surface (run, verify, the watch
screen, --json) sees it: ESC becomes "␛", the other C0 controls their Unicode
"control pictures", C1 controls a "\\x9b"-style escape. Newlines and tabs stay.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟, ESC is ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}"


def visible(text: str) -> str:
    """`text` with every control character but newline and tab shown, not obeyed."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_picture, text.replace("\r\n", "\n"))


def make_visible(value: Any) -> Any:
    """Apply `visible` to every string inside a record (dataclasses, dicts, lists), in place."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = make_visible(item)
        return value
    if isinstance(value, dict):
        for key in list(value):
            value[key] = make_visible(value[key])
        return value
    if is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            current = getattr(value, field.name)
            updated = make_visible(current)
            if updated is not current:
                setattr(value, field.name, updated)
        return value
    return value

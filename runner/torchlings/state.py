"""The learner's progress: `.torchlings/state.json` in the workspace.

Loading forgives: a missing file is a fresh start; a corrupt one is moved
aside to a backup and the learner is told; a file from a newer torchlings is
read as far as possible and never overwritten. Saving is atomic (a temporary
file, fsync, rename), so a kill at any moment leaves either the old file or
the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

STATE_DIR = ".torchlings"
STATE_FILE = "state.json"
FORMAT_VERSION = 1


@dataclass
class State:
    current: str | None = None
    done: set[str] = field(default_factory=set)
    hints_seen: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "current": self.current,
                "done": sorted(self.done),
                "hints_seen": dict(sorted(self.hints_seen.items())),
            },
            indent=2,
        )


@dataclass
class StateStore:
    """Loads and saves the state of one workspace, remembering what went wrong."""

    path: Path
    warnings: list[str] = field(default_factory=list)
    read_only: bool = False

    @classmethod
    def for_workspace(cls, root: Path) -> StateStore:
        return cls(root / STATE_DIR / STATE_FILE)

    def load(self) -> State:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return State()
        except OSError as exc:
            self.warnings.append(f"Could not read {self.path} ({exc}); starting without progress.")
            self.read_only = True
            return State()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            version = data.get("format_version")
            if not isinstance(version, int):
                raise ValueError("no format_version")
            state = _parse(data)
        except (ValueError, TypeError) as exc:
            backup = self._move_aside()
            where = f"it was kept as {backup}" if backup else "it could not be moved aside"
            self.warnings.append(
                f"Your progress file {self.path} was damaged ({exc}); {where}. "
                "Starting fresh: `torchlings verify` marks what you have already solved."
            )
            return State()
        if version > FORMAT_VERSION:
            self.read_only = True
            self.warnings.append(
                f"{self.path} was written by a newer torchlings (format {version}). It is read "
                "but not changed, so nothing in it is lost; upgrade torchlings to save progress."
            )
        return state

    def save(self, state: State) -> bool:
        """Write atomically; returns False (with a warning kept) if it could not."""
        if self.read_only:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _ensure_gitignore(self.path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(state.to_json())
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError as exc:
            message = (
                f"Could not save progress to {self.path} ({exc.strerror or exc}). Your checks "
                "still run, but what you solve is not remembered until that folder is writable."
            )
            if message not in self.warnings:
                self.warnings.append(message)
            return False
        return True

    def _move_aside(self) -> Path | None:
        backup = self.path.with_name(f"{STATE_FILE}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, backup)
        except OSError:
            return None
        return backup


def _parse(data: dict) -> State:
    current = data.get("current")
    done = data.get("done", [])
    hints = data.get("hints_seen", {})
    if current is not None and not isinstance(current, str):
        raise ValueError("`current` is not a name")
    if not isinstance(done, list) or not all(isinstance(n, str) for n in done):
        raise ValueError("`done` is not a list of names")
    if not isinstance(hints, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in hints.items()
    ):
        raise ValueError("`hints_seen` is not a map of names to counts")
    return State(current=current, done=set(done), hints_seen=dict(hints))


def _ensure_gitignore(folder: Path) -> None:
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")

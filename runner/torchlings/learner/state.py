"""The learner's progress: `.torchlings/state.json` in the workspace.

Loading forgives: a missing file is a fresh start; a corrupt one (bad JSON,
bytes that are not UTF-8) is moved aside to a backup and the learner is told;
a file from a newer torchlings is read as far as possible and never
overwritten.

Saving merges. Any number of runners may share a workspace (two watch screens,
`verify` beside one), each holding the state in memory. So a save does not
write this runner's whole picture: under a lock, it reads what is on disk now
and applies only what this runner changed since it last read or wrote (done
exercises added or removed, hints revealed, the current exercise), then writes
the result atomically (a temporary file, fsync, rename) and hands it back, so
the runner sees the others' progress too. Nothing another runner saved is lost.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_DIR = ".torchlings"
STATE_FILE = "state.json"
FORMAT_VERSION = 1
# Temporary files a save (or an older torchlings) may leave if killed mid-write.
_STALE_TEMPS = (".state-*.tmp", f".{STATE_FILE}.*.tmp", ".gitignore.*.tmp")


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


def merge(disk: State, base: State, mine: State) -> State:
    """What is on disk, plus what this runner changed since `base` (its last read or write).

    done: added and removed names are applied as such; hints: the most any
    runner revealed; current: this runner's, if it moved since `base`.
    """
    added, removed = mine.done - base.done, base.done - mine.done
    hints = dict(disk.hints_seen)
    for name, seen in mine.hints_seen.items():
        hints[name] = max(seen, hints.get(name, 0))
    current = mine.current if mine.current != base.current else disk.current
    return State(current=current, done=(disk.done | added) - removed, hints_seen=hints)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: a temporary file, fsync, rename.

    On any failure (a full disk, a kill) the old file stays as it was and no
    half-written or empty file is left; the OSError is raised for the caller.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def workspace_gone_message(root: Path) -> str:
    return (f"Your workspace folder {root} is gone (deleted or moved away). Nothing can be "
            "saved there any more: quit torchlings and start it again in your workspace.")


@dataclass
class StateStore:
    """Loads and saves the state of one workspace, remembering what went wrong."""

    path: Path
    warnings: list[str] = field(default_factory=list)
    read_only: bool = False
    # The last save's failure in words, or None when it worked.
    last_error: str | None = None
    # What this runner last read from or wrote to disk: a save applies the difference.
    _base: State = field(default_factory=State, repr=False)

    @classmethod
    def for_workspace(cls, root: Path) -> StateStore:
        return cls(root / STATE_DIR / STATE_FILE)

    @property
    def root(self) -> Path:
        """The workspace folder the state belongs to."""
        return self.path.parent.parent

    @property
    def gone(self) -> bool:
        return not self.root.is_dir()

    def load(self) -> State:
        if self.path.parent.is_dir():
            with self._locked():
                state = self._read(report=True)
        else:
            state = State()
        self._base = copy.deepcopy(state)
        return state

    def save(self, state: State) -> bool:
        """Merge this runner's changes into the file; False (with a warning kept) if it could not.

        `state` is updated in place to what was written: the others' progress included.
        """
        if self.read_only:
            return False
        if self.gone:
            # Never make the folder again inside a workspace that was deleted.
            return self._failed(workspace_gone_message(self.root))
        try:
            self.path.parent.mkdir(exist_ok=True)
            _ensure_gitignore(self.path.parent)
            with self._locked():
                disk = self._read(report=True)
                if self.read_only:  # a newer torchlings wrote it meanwhile
                    return False
                merged = merge(disk, self._base, state)
                atomic_write(self.path, merged.to_json().encode("utf-8"))
        except OSError as exc:
            if self.path.is_dir():
                why = (f"{self.path} is a folder, not a file: move it away (or delete it) so "
                       "your progress can be saved")
            else:
                why = f"Could not save progress to {self.path} ({exc.strerror or exc})"
            return self._failed(
                f"{why}. Your checks still run, but what you solve is not remembered until "
                "then."
            )
        # In place: whoever holds this state (the watch screen) sees the merge.
        state.current = merged.current
        state.done.clear()
        state.done.update(merged.done)
        state.hints_seen.clear()
        state.hints_seen.update(merged.hints_seen)
        self._base = copy.deepcopy(merged)
        self.last_error = None
        return True

    def _failed(self, message: str) -> bool:
        # Every failed save says so: a learner who fixed the cause and saw it
        # fail again must not be met with silence.
        self.last_error = message
        self.warnings.append(message)
        return False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the workspace's state lock (a flock on the .torchlings folder itself)."""
        try:
            import fcntl
        except ImportError:  # Windows: one runner per workspace, as before
            yield
            return
        try:
            fd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _remove_stale_temps(self.path.parent)  # nobody else is writing now
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self, report: bool) -> State:
        """The state on disk now (call with the lock held)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return State()
        except IsADirectoryError:
            return State()  # each save says so, until it is moved away
        except OSError as exc:
            self.warnings.append(f"Could not read {self.path} ({exc}); starting without progress.")
            self.read_only = True
            return State()
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            version = data.get("format_version")
            if not isinstance(version, int):
                raise ValueError("no format_version")
            state = _parse(data)
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            reason = "it is not text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            backup = self._move_aside()
            where = f"it was kept as {backup}" if backup else "it could not be moved aside"
            self.warnings.append(
                f"Your progress file {self.path} was damaged ({reason}); {where}. "
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

    def _move_aside(self) -> Path | None:
        backup = self.path.with_name(f"{STATE_FILE}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, backup)
        except OSError:
            return None
        return backup


def _parse(data: dict[str, Any]) -> State:
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
        atomic_write(ignore, b"*\n")


def _remove_stale_temps(folder: Path) -> None:
    for pattern in _STALE_TEMPS:
        for stale in folder.glob(pattern):
            with contextlib.suppress(OSError):
                stale.unlink()

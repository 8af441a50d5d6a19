"""`torchlings update`: bring a workspace to the course installed now.

A workspace is a copy of the course made by `init`; upgrading torchlings
(`pip install -U`) changes the installed course, not that copy. So `init`
records what it wrote (`.torchlings/course.json`: a digest of every course
file), and `update` compares three things for each file: what the workspace
was made from (the record), what the workspace holds now, and what is
installed now.

- The catalog and the checks are the course's, not the learner's: a changed one
  is replaced, and the one it replaces is kept in `.torchlings/backups/`.
- A new exercise is added. An exercise file is the learner's and is never
  overwritten; when its shipped text changed since the workspace was made, it
  is listed, so the learner can `torchlings reset` it if they wish.

A workspace made from a course of one's own (`init --course DIR`) follows DIR
instead of the installed course. `is_older` tells the watch screen and
`verify` when to suggest `update`.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from torchlings.course import CATALOG
from torchlings.learner import shipped
from torchlings.learner.state import STATE_DIR, atomic_write

RECORD = "course.json"
OLDER_NOTE = ("This workspace was made from an older torchlings course than the one "
              "installed: `torchlings update` adds the new exercises and brings the checks "
              "up to date (your exercise files stay as they are).")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def installed_files(own: Path | None = None) -> dict[str, bytes]:
    """Every course file a workspace gets (exercises/ and checks/), as installed now,
    or as a course of one's own (`init --course DIR`) holds them now."""
    root = own or shipped.course_root()
    if root is None:
        return {}
    files = {}
    for rel in shipped.shipped_files("exercises", root) + shipped.shipped_files("checks", root):
        try:
            data = (root / rel).read_bytes() if own is not None else shipped.read_shipped(rel)
        except OSError:
            data = None
        if data is not None:
            files[rel.as_posix()] = data
    return files


def installed_digests(workspace: Path) -> dict[str, str]:
    """The digests of the course the workspace follows, read straight from its files
    (fast: no git)."""
    root = shipped.course_root(workspace)
    if root is None:
        return {}
    digests = {}
    for rel in shipped.shipped_files("exercises", root) + shipped.shipped_files("checks", root):
        try:
            digests[rel.as_posix()] = digest((root / rel).read_bytes())
        except OSError:
            continue
    return digests


def record_path(root: Path) -> Path:
    return root / STATE_DIR / RECORD


def read_record(root: Path) -> dict[str, str] | None:
    """What the workspace was made from: {relative path: digest}, or None when unknown."""
    try:
        data = json.loads(record_path(root).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files if isinstance(files, dict) else None


def write_record(root: Path, files: dict[str, bytes]) -> None:
    path = record_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"format_version": 1, "files": {rel: digest(data) for rel, data in files.items()}}
    atomic_write(path, json.dumps(body, indent=2, sort_keys=True).encode())


def is_older(root: Path) -> bool:
    """Whether the installed course has files the workspace was not made from.

    Only for workspaces `init` recorded: a course of one's own, or a clone of
    the repository (which git updates), is never called older.
    """
    if (root / ".git").exists():
        return False
    made_from = read_record(root)
    if made_from is None:
        return False
    return any(made_from.get(rel) != value
               for rel, value in installed_digests(root).items())


@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)  # new files (exercises and their checks)
    replaced: list[str] = field(default_factory=list)  # checks and the catalog, brought up to date
    backups: Path | None = None  # where the replaced ones are kept
    changed_exercises: list[str] = field(default_factory=list)  # shipped text changed; yours kept
    unknown_origin: bool = False  # no record: changed exercises cannot be told from yours

    @property
    def nothing_to_do(self) -> bool:
        return not (self.added or self.replaced or self.changed_exercises)


def update(root: Path) -> UpdateReport:
    """Bring the workspace at `root` to the installed course (see the module docstring)."""
    installed = installed_files(shipped.recorded_source(root))
    if not installed:
        raise FileNotFoundError("The course is missing from this installation; reinstall "
                                "torchlings.")
    made_from = read_record(root)
    report = UpdateReport(unknown_origin=made_from is None)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for rel, data in installed.items():
        target = root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
            report.added.append(rel)
            continue
        mine = target.read_bytes()
        if mine == data:
            continue
        is_exercise = rel.startswith("exercises/") and rel != CATALOG.as_posix()
        if is_exercise:
            # Never overwritten. Listed when the course changed it since the workspace
            # was made; an edit of the learner's own is not news.
            if made_from is not None and made_from.get(rel) != digest(data):
                report.changed_exercises.append(rel)
            continue
        backups = root / STATE_DIR / "backups" / f"before-update-{stamp}"
        kept = backups / rel
        kept.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(kept, mine)
        atomic_write(target, data)
        report.replaced.append(rel)
        report.backups = backups
    write_record(root, installed)
    return report

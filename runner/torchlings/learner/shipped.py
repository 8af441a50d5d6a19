"""Where the shipped course comes from, for `init`, `reset` and `solution`.

The shipped course is the installed one, unless the workspace was made from a
course of one's own (`torchlings init WS --course DIR`): then DIR is recorded
in the workspace (`.torchlings/course-source`) and is the source from then on.

A workspace that is a git clone of the course has its shipped files in git:
the committed version is the one to go back to. Otherwise the installation
is the source: a wheel carries the course as package data
(torchlings/course/); a source checkout (an editable install) has the course
in its own tree, committed to git there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from torchlings.course import CATALOG

_PACKAGED = Path(__file__).resolve().parents[1] / "course"
_SOURCE_TREE = Path(__file__).resolve().parents[3]


SOURCE_RECORD = Path(".torchlings") / "course-source"


def record_source(workspace: Path, course: Path) -> None:
    """Remember, in a new workspace, the course of one's own it was made from."""
    record = workspace / SOURCE_RECORD
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(str(course.resolve()) + "\n", encoding="utf-8")


def recorded_source(workspace: Path) -> Path | None:
    """The course of one's own a workspace was made from, or None for the installed course."""
    try:
        text = (workspace / SOURCE_RECORD).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return Path(text) if text and (Path(text) / CATALOG).is_file() else None


def course_root(workspace: Path | None = None) -> Path | None:
    """The folder holding the shipped exercises/, checks/ and solutions/."""
    if workspace is not None:
        own = recorded_source(workspace)
        if own is not None:
            return own
    if (_PACKAGED / CATALOG).is_file():
        return _PACKAGED
    if (_SOURCE_TREE / CATALOG).is_file():
        return _SOURCE_TREE
    return None


def read_shipped(rel: Path, workspace: Path | None = None) -> bytes | None:
    """The shipped bytes of a course file (e.g. exercises/02_autograd/x.py), or None.

    `workspace`, when given and a git checkout, is asked first.
    """
    if workspace is not None and (workspace / ".git").exists():
        committed = _git_show(workspace, rel)
        if committed is not None:
            return committed
    root = course_root(workspace)
    if root is None:
        return None
    if root == _SOURCE_TREE:
        committed = _git_show(root, rel)
        if committed is not None:
            return committed
    try:
        return (root / rel).read_bytes()
    except OSError:
        return None


def shipped_files(tree: str, root: Path | None = None) -> list[Path]:
    """Relative paths of every file in one shipped tree ("exercises", "checks", ...)."""
    root = root or course_root()
    if root is None or not (root / tree).is_dir():
        return []
    return sorted(
        p.relative_to(root)
        for p in (root / tree).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".toml", ".md")
    )


def _git_show(repo: Path, rel: Path) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{rel.as_posix()}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


_shipped_cache: dict[tuple[Path, Path], bytes | None] = {}


def differs_from_shipped(root: Path, rel: Path) -> bool:
    """Whether the workspace's copy of a course file (a check, say) differs from the shipped one.

    The one decision behind "this check was edited", for the engine's job
    (`CheckJob.check_modified`) and for `verify`'s list alike. False when the
    shipped version cannot be found: nothing to compare with is no evidence.
    The shipped bytes are read once per file (it may take a `git show`).
    """
    key = (root, rel)
    if key not in _shipped_cache:
        _shipped_cache[key] = read_shipped(rel, root)
    original = _shipped_cache[key]
    if original is None:
        return False
    try:
        return (root / rel).read_bytes() != original
    except OSError:
        return False

"""Where the shipped course comes from, for `init`, `reset` and `solution`.

An installed wheel carries the course as package data (torchlings/course/).
A source checkout (an editable install, or running from the repository)
has no such copy; there the shipped version of a file is the one committed
to git, so a learner working in a clone can still reset an exercise they
have edited. Without git, the file on disk is the best there is.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from torchlings.course import CATALOG

_PACKAGED = Path(__file__).resolve().parent / "course"
_SOURCE_TREE = Path(__file__).resolve().parents[2]


def course_root() -> Path | None:
    """The folder holding the shipped exercises/, checks/ and solutions/."""
    if (_PACKAGED / CATALOG).is_file():
        return _PACKAGED
    if (_SOURCE_TREE / CATALOG).is_file():
        return _SOURCE_TREE
    return None


def read_shipped(rel: Path) -> bytes | None:
    """The shipped bytes of a course file (e.g. exercises/02_autograd/x.py), or None."""
    root = course_root()
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


def shipped_files(tree: str) -> list[Path]:
    """Relative paths of every file in one shipped tree ("exercises", "checks", ...)."""
    root = course_root()
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

"""Which folder is the learner's course, when a command starts from where they stand.

A clone of the repository is where `./torchlings.sh start` runs, and its root
holds the shipped course (exercises/, checks/, solutions/) beside the learner's
own copy in ./workspace. The repository is never a learner's course: learner
commands started there act on ./workspace and say so, or say how to make it.
Course authors' tools (`torchlings dev ...`) keep using the repository itself.
"""

from __future__ import annotations

from pathlib import Path

from torchlings.course import CATALOG, NoWorkspace, find_root
from torchlings.learner.report import display_path

LEARNER_FOLDER = "workspace"
"""Where `./torchlings.sh start` writes a clone's workspace."""


def is_course_repository(root: Path) -> bool:
    """The repository (or a copy of it): the runner's source and the solutions are there."""
    return (root / "runner" / "torchlings").is_dir() and (root / "solutions").is_dir()


def learner_root(start: Path | None = None) -> tuple[Path, str | None]:
    """(the learner's workspace, a note to show once when it is not the folder found)."""
    root = find_root(start)
    if not is_course_repository(root):
        return root, None
    inner = root / LEARNER_FOLDER
    if (inner / CATALOG).is_file():
        return inner.resolve(), (f"using your workspace in {display_path(inner)}/ (this folder "
                                 "is the course's repository, which keeps the shipped copies)")
    raise NoWorkspace(
        f"{root} is torchlings' own repository, not a learner's workspace.\n"
        f"Run `./torchlings.sh start` there (it writes your copy in ./{LEARNER_FOLDER}), or "
        "make a workspace anywhere with `torchlings init DIR`."
    )

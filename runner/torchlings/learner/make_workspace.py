"""`torchlings init`: write a fresh workspace from the shipped course.

The workspace gets the exercises and their checks; solutions stay inside the
installation (`torchlings solution` reads them from there).
"""

from __future__ import annotations

from pathlib import Path

from torchlings.course import CATALOG, CourseError, load_course
from torchlings.learner import shipped
from torchlings.learner.state import STATE_DIR
from torchlings.learner.update import installed_files, write_record

WORKSPACE_README = """# My torchlings workspace

Run `torchlings` here to start: it checks the current exercise every time you
save it. `torchlings hint` gives a hint, `torchlings list` shows where you are,
`torchlings verify` checks everything, `torchlings update` brings this folder
up to date after you upgrade torchlings.

`torchlings` is the command in the environment torchlings was installed into.
If your shell says "command not found", put that environment's `bin` folder on
your PATH. For a clone set up with `./torchlings.sh start`, that is the
clone's `.venv/bin`: `export PATH="/path/to/the/clone/.venv/bin:$PATH"`. Or,
from the clone's folder, write `./torchlings.sh` instead of `torchlings`
(`./torchlings.sh list`).
"""


class InitError(Exception):
    pass


def write_workspace(directory: Path, course: Path | None = None) -> None:
    """Write a workspace from the installed course, or from `course` (a course of one's own)."""
    directory = directory.expanduser()
    if (directory / CATALOG).exists():
        raise InitError(
            f"{directory} already holds a torchlings workspace; it was left as it is. "
            f"Run `torchlings` inside it, or choose another folder."
        )
    if directory.exists() and any(directory.iterdir()):
        raise InitError(
            f"{directory} exists and is not empty; nothing was written. Choose a new folder name."
        )
    if course is not None:
        try:
            load_course(course)  # refuses a course this torchlings cannot run, saying why
        except CourseError as exc:
            raise InitError(f"{course} cannot be used: {exc}") from exc
        root: Path | None = course
    else:
        root = shipped.course_root()
    if root is None:
        raise InitError("The course is missing from this installation; reinstall torchlings.")
    files = installed_files(course)
    try:
        for rel, data in files.items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (directory / ".gitignore").write_text(f"{STATE_DIR}/\n__pycache__/\n", encoding="utf-8")
        (directory / "README.md").write_text(WORKSPACE_README, encoding="utf-8")
        if course is not None:
            shipped.record_source(directory, course)
        write_record(directory, files)  # what it was made from, for `torchlings update`
    except OSError as exc:
        raise InitError(f"Could not write the workspace in {directory}: {exc}") from exc

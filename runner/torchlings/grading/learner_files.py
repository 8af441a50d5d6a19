"""Reading a learner's exercise file out of a workspace, and nothing else of it.

Only a regular file inside the workspace counts: a FIFO would block, a
device or a huge file would exhaust memory, and a symbolic link could point
at the installed reference solutions. The file is opened without following
a link at its last step and without blocking, and read up to a cap.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_EXERCISE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class LearnerFile:
    source: bytes | None  # None: nothing that can be judged
    problem: str = ""  # why, when source is None


def read_learner_file(workspace: Path, rel: Path) -> LearnerFile:
    path = workspace / rel
    try:
        real = Path(os.path.realpath(path))
        home = Path(os.path.realpath(workspace))
    except (OSError, ValueError) as exc:
        return LearnerFile(None, f"{rel} cannot be read ({exc})")
    if home not in real.parents:
        return LearnerFile(None, f"{rel} leads outside the workspace (a symbolic link); "
                                 "only the learner's own file is graded")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        return LearnerFile(None, f"{rel} is missing")
    except OSError as exc:
        return LearnerFile(None, f"{rel} cannot be opened ({exc.strerror or exc})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return LearnerFile(None, f"{rel} is not a regular file")
        if info.st_size > MAX_EXERCISE_BYTES:
            return LearnerFile(None, f"{rel} is larger than {MAX_EXERCISE_BYTES // 1024} KB")
        chunks, total = [], 0
        while total <= MAX_EXERCISE_BYTES and (chunk := os.read(fd, 65536)):
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_EXERCISE_BYTES:
            return LearnerFile(None, f"{rel} is larger than {MAX_EXERCISE_BYTES // 1024} KB")
        return LearnerFile(b"".join(chunks))
    except OSError as exc:
        return LearnerFile(None, f"{rel} cannot be read ({exc.strerror or exc})")
    finally:
        os.close(fd)

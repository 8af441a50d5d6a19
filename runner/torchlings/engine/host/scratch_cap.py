"""A ceiling on what one check may leave in its own folders.

Each check's temporary folder (TMPDIR, pytest's tmp_path) lives in its
scratch folder, removed when the check ends. While it runs, the engine
measures that folder now and then; past the ceiling the check is ended, and
the learner told why. The file size limit stops one huge file; this stops a
great many merely large ones.
"""

from __future__ import annotations

import os

DEFAULT_SCRATCH_LIMIT = 1024**3
# Counting stops here: a folder with more entries is over the ceiling anyway.
MAX_ENTRIES = 200_000


def scratch_limit_bytes() -> int:
    override = os.environ.get("TORCHLINGS_SCRATCH_LIMIT")
    return int(override) if override else DEFAULT_SCRATCH_LIMIT


def used_bytes(folder: str | os.PathLike[str], stop_at: int) -> int:
    """Disk space the files under `folder` take (sparse files count what they use),
    counted until `stop_at` is passed; links are not followed."""
    total = 0
    entries = 0
    stack = [os.fspath(folder)]
    while stack and total <= stop_at:
        try:
            with os.scandir(stack.pop()) as found:
                for entry in found:
                    entries += 1
                    if entries > MAX_ENTRIES:
                        return stop_at + 1
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            info = entry.stat(follow_symlinks=False)
                            total += getattr(info, "st_blocks", 0) * 512 or info.st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return total


def over_limit_message(limit: int) -> str:
    return (f"Your code wrote more than {limit / 1024**2:.0f} MB of temporary files, the most "
            "one check may leave in its temporary folder, and the check was stopped. Write "
            "less, or delete what you no longer need as you go.")

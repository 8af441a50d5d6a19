"""Opening a learner's file without trusting what it is.

An exercise path can be anything the learner (or their code) made of it: a
named pipe, whose open() blocks until somebody writes to it; a symbolic link
to /dev/zero, which never ends; a huge file. The runner only ever reads a
regular file, opens it without blocking, and reads a bounded amount.
"""

from __future__ import annotations

import os
import stat

# More than any exercise file; enough that reading it never costs much.
MAX_READ = 16 * 1024 * 1024

_KINDS = [
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device (character special file)"),
    (stat.S_ISBLK, "a device (block special file)"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISSOCK, "a socket"),
]


class NotARegularFile(OSError):
    """The path exists but is not a regular file; `kind` says what it is."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(f"{os.fspath(path)} is {kind}, not a regular file")
        self.kind = kind


class TooLarge(OSError):
    """A regular file over the bound given to `read_bounded`."""


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of `path`, which must be a regular file; never blocks.

    O_NONBLOCK makes opening a FIFO return at once (instead of waiting for a
    writer), and the kind is then read from the open file itself, so a swap
    between a look and the open cannot fool it.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotARegularFile(path, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_READ) -> bytes:
    """The bytes of a regular file; NotARegularFile or TooLarge instead of waiting or filling memory."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{os.fspath(path)} is larger than {limit} bytes")
    return data

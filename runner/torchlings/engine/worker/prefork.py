"""The warm worker's prepared check: pytest set up for it before the fork.

Every child the worker forks used to start pytest from nothing: options,
plugins, configuration, importing and collecting the check. None of that
depends on the learner's file, so the worker does it once, before it forks,
and a child of it only loads the learner's file and runs the tests
(`check_session`). The worker holds one prepared check at a time: the one
being worked on (a watch session re-runs the same check on every save), keyed
on the check file's path and bytes, so a check that was edited is read again.

It only prepares a check whose import runs nothing but declarations
(`declarative`), in a folder that is not a package (whose __init__ pytest
would run), and only keeps a session that prepared cleanly: any other check
is prepared by its own check process, as before, with the same result. While
it prepares, the worker runs under a time limit and a memory allowance, so
that not even a check file built to hurt it can stall it or fill its memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from torchlings.engine.child import declarative
from torchlings.engine.child.check_session import CheckSession

# Far more than preparing a course check takes (tens of milliseconds).
PREPARE_SECONDS = 5.0
# Memory the worker may take on while it prepares a check.
PREPARE_MEMORY = 512 * 1024**2


class PrepareTimeout(BaseException):
    """Preparing a check took longer than PREPARE_SECONDS."""


class PreparedCheck:
    """The one check this worker has pytest set up for, if any."""

    def __init__(self) -> None:
        self.session: CheckSession | None = None
        self._key: tuple[str, bytes] | None = None
        self._loaded: declarative.LoadedModules | None = None

    def session_for(self, check_file: str) -> CheckSession | None:
        """The prepared session for this check as it is now on disk, or None.

        None means the check process prepares the check itself; the worker
        then holds no pytest session at all, so that the child starts from a
        process in which pytest was never configured.
        """
        source = declarative.read_check(check_file)
        if source is not None and self._key == (check_file, source):
            return self.session
        self.drop()
        if source is None or not self._preparable(check_file, source):
            return None
        session = _guarded_prepare(Path(check_file))
        if session is None:
            return None
        if not session.clean or declarative.read_check(check_file) != source:
            session.discard()  # it changed while being read, or does not collect: the child says why
            return None
        self.session, self._key = session, (check_file, source)
        return session

    def drop(self) -> None:
        """Forget the prepared check, undoing everything pytest set up for it."""
        session, self.session, self._key = self.session, None, None
        if session is not None:
            session.discard()

    def _preparable(self, check_file: str, source: bytes) -> bool:
        if os.path.exists(os.path.join(os.path.dirname(check_file), "__init__.py")):
            return False
        if self._loaded is None:
            self._loaded = declarative.LoadedModules()
        return declarative.is_declarative(source, self._loaded)


def _guarded_prepare(check_file: Path) -> CheckSession | None:
    session = None
    try:
        with _time_limit(PREPARE_SECONDS), _memory_allowance(PREPARE_MEMORY):
            session = CheckSession.prepare(check_file)
    except (PrepareTimeout, MemoryError):
        if session is not None:
            session.discard()
        return None
    return session


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if not hasattr(signal, "setitimer"):
        yield
        return

    def too_long(signum: int, frame: object) -> None:
        raise PrepareTimeout

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_allowance(extra: int) -> Iterator[None]:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm", "rb") as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        yield
        return
    ceiling = used + extra
    if soft != resource.RLIM_INFINITY:
        ceiling = min(ceiling, soft)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

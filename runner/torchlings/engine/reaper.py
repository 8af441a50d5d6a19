"""Ending everything a check started, and following the runner's death.

Both engines end a check the same way (`kill_check`): its process group,
and every descendant found by walking /proc, so learner code that calls
`setsid()` and forks again (leaving the group) is still reached. A process
that is a child subreaper (the warm worker, the one-shot supervisor) also
adopts the orphans of such escapes, so they stay below it and are found.

Never a process we no longer hold: a process id is free for reuse the moment
its process is reaped (and a thread's id comes from the same numbers, so a
stale `kill(pid)` can end any process on the machine that just started a
thread). So a check and its group are signalled only while the check process
is not yet reaped (its parent holds it, as a zombie at worst: `wait_exited`
waits without reaping), and a process found by walking /proc is signalled
through a pidfd opened before its parent is looked at again, so the signal
reaches the very process that was found below the check or nothing at all.

Linux gives the tools (prctl, /proc, pidfd); elsewhere only the group is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import weakref
from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Orphans of our descendants are re-parented to us instead of init."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(expected_parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """Receive `sig` when the process (strictly: the thread) that started us ends.

    If the parent is already gone (it died before this ran), leave at once.
    """
    _prctl(_PR_SET_PDEATHSIG, int(sig))
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can see (empty where /proc is absent)."""
    table: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            table[int(name)] = int(fields[1])
    return table


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (not `pid` itself)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def open_pidfd(pid: int) -> int | None:
    """A descriptor that names this very process (None where there are none, or it is gone).

    Open it only for a process that cannot have been reaped yet (one's own
    unreaped child), or check afterwards that it is the process meant.
    """
    if not hasattr(os, "pidfd_open"):
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def signal_pidfd(pidfd: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process a pidfd names; nothing at all if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        signal.pidfd_send_signal(pidfd, sig)


def parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


def _kill_below(pid: int, parents: set[int]) -> None:
    """Kill `pid`, found below one of `parents`, if it is still that process.

    The pidfd is opened first and the parent read after: if the process found
    was reaped in between, the pidfd names it (gone: the signal goes nowhere)
    and not a newcomer that took its number.
    """
    if not hasattr(os, "pidfd_open"):
        if parent_of(pid) in parents:  # no pidfd here: the narrowest window there is
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return
    pidfd = open_pidfd(pid)
    if pidfd is None:
        return  # gone already
    try:
        if parent_of(pid) in parents:
            signal_pidfd(pidfd)
    finally:
        os.close(pidfd)


# How long a supervisor asked to stop (SIGTERM) may take to end its check before SIGKILL.
END_GRACE = 5.0


class Child:
    """A child process of ours (a `subprocess.Popen`) that we signal through a pidfd.

    The pidfd is opened before anything can reap the child, so it names that
    process for good: a signal after it was reaped (by another thread's wait)
    goes nowhere instead of to whoever took its number.
    """

    def __init__(self, process: Any) -> None:
        self.process = process
        self.pidfd = open_pidfd(process.pid)
        if self.pidfd is not None:  # closed with this object, never while a thread may use it
            weakref.finalize(self, os.close, self.pidfd)

    def send(self, sig: int) -> None:
        if self.pidfd is not None:
            signal_pidfd(self.pidfd, sig)
        elif self.process.poll() is None:  # no pidfd: Popen's own (narrow) check
            with contextlib.suppress(OSError):
                self.process.send_signal(sig)

    def end(self, grace: float = END_GRACE) -> None:
        """Ask it to end (SIGTERM: a supervisor then ends its check and all below), then kill it."""
        if self.process.poll() is not None:
            return
        self.send(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired, without importing it
            self.send(signal.SIGKILL)


def kill_group(pgid: int | None) -> None:
    """Kill a check's process group. Only while its leader is not yet reaped:
    after that the number can belong to somebody else's group."""
    if pgid is None or not hasattr(os, "killpg"):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def kill_check(pid: int | None, pidfd: int | None = None) -> None:
    """Kill a check process, its group, and all of its descendants.

    The caller holds the check process: its own child, not yet reaped (alive
    or a zombie), and nobody else reaps it meanwhile. Repeated a few times: a
    process being killed may have forked a moment before.
    """
    if pid is None:
        return
    for _round in range(3):
        below = descendants(pid)
        kill_group(pid)
        if pidfd is not None:
            signal_pidfd(pidfd)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        tree = {pid, *below}
        for other in below:
            _kill_below(other, tree)
        if not below:
            break


def exited_child() -> int | None:
    """A child of ours that has ended, left unreaped (None: none has).

    Its number stays ours until `os.wait4(pid, 0)`: the time to end its
    group and what it left. Where waitid is missing, the child is reaped
    here and its status kept for `reap`.
    """
    if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):
        try:
            found = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return None
        return found.si_pid if found is not None and found.si_pid else None
    try:
        pid, status, usage = os.wait4(-1, os.WNOHANG)
    except ChildProcessError:
        return None
    if pid == 0:
        return None
    _reaped_early[pid] = (status, usage)
    return pid


_reaped_early: dict[int, tuple[int, object]] = {}


def reap(pid: int) -> tuple[int, float]:
    """Reap a child `exited_child` found: (its wait status, its CPU seconds)."""
    if pid in _reaped_early:
        status, usage = _reaped_early.pop(pid)
    else:
        _, status, usage = os.wait4(pid, 0)
    return status, getattr(usage, "ru_utime", 0.0) + getattr(usage, "ru_stime", 0.0)


def wait_exited(pid: int) -> None:
    """Block until our child `pid` has ended, without reaping it."""
    if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        return
    status, usage = os.wait4(pid, 0)[1:]
    _reaped_early[pid] = (status, usage)


def kill_orphans(keep: set[int]) -> int:
    """Kill every descendant of this process except `keep` and theirs; returns how many.

    Called by a subreaper: its children other than the check processes it
    started are orphans that escaped a check (setsid + fork), adopted by it.
    """
    me = os.getpid()
    table = _parents()
    spared = set(keep)
    for pid in keep:
        spared |= descendants(pid)
    victims = [pid for pid in descendants(me) if pid not in spared and table.get(pid) is not None]
    tree = {me, *victims}
    for pid in victims:
        _kill_below(pid, tree)
    return len(victims)

"""Ending everything a check started, and following the runner's death.

Both engines end a check the same way (`kill_check`): its process group,
and every descendant found by walking /proc, so learner code that calls
`setsid()` and forks again (leaving the group) is still reached. A process
that is a child subreaper (the warm worker, the one-shot supervisor) also
adopts the orphans of such escapes, so they stay below it and are found.

Linux gives the tools (prctl, /proc); elsewhere only the group is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys

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


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def kill_group(pgid: int | None) -> None:
    if pgid is None or not hasattr(os, "killpg"):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def kill_check(pid: int | None) -> None:
    """Kill a check process, its group, and all of its descendants.

    Repeated a few times: a process being killed may have forked a moment before.
    """
    if pid is None:
        return
    for _round in range(3):
        below = descendants(pid)
        kill_group(pid)
        _kill(pid)
        for other in below:
            _kill(other)
        if not below:
            break


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
    for pid in victims:
        _kill(pid)
    return len(victims)

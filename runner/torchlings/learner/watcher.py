"""Following the learner's saves: file events -> one debounced "exercise changed".

Editors save in many ways: a write in place, a write to a temporary file
renamed over the original (vim, JetBrains "safe write"), a delete followed by
a create, or two events for one save. All of them must give exactly one
re-check. So the watcher listens on the whole exercises folder (a watch on the
single file loses track once an editor renames over it), reduces every event
to "something happened to the file we care about", waits until the events
stop for a moment (the debounce), and only then compares the file's content
hash with the last one seen: an unchanged file (a touch, a save without
edits) does not re-run anything.

Where native events are unreliable (network and virtual filesystems, WSL's
/mnt drives) the watcher polls the file's stat instead. Callbacks come from
the watcher's own thread; the app hands them to its event loop.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from torchlings.engine import MAX_READ, NotARegularFile, open_regular

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent
    from watchdog.observers.api import BaseObserver

DEBOUNCE_SECONDS = 0.15
# After an event that says a write is complete (closed after writing, or a
# rename onto the file) only a short grace is needed to catch stragglers.
SETTLED_SECONDS = 0.01
POLL_SECONDS = 0.25
# How often the watcher makes sure its folder still exists (a delete event
# usually says so at once; this is for where none comes).
GONE_CHECK_SECONDS = 1.0
# How long a deleted exercise file must stay gone before it counts as a change.
MISSING_GRACE_SECONDS = 0.5
MISSING = "<missing>"  # the "content" of a file that is not there

# Filesystems where inotify misses changes made by another machine or by the
# host side of a VM: network mounts, 9p (WSL2's /mnt/c), WSL1's drvfs, FUSE.
UNRELIABLE_FS = {"9p", "drvfs", "nfs", "nfs4", "cifs", "smb3", "smbfs", "vboxsf", "virtiofs",
                 "afs", "ncpfs", "davfs", "sshfs"}


def content_hash(path: Path) -> str | None:
    """A digest of the file's bytes, or None when it cannot be read (mid-save).

    Never blocks and never reads without end: a file that is not a regular
    one (a pipe, a link to /dev/zero) hashes to what it is, so turning the
    exercise into one still counts as a change (and the check says what is
    wrong); a huge file is hashed by its first bytes, size and time.
    """
    try:
        fd = open_regular(path)
    except NotARegularFile as exc:
        return f"not a regular file: {exc.kind}"
    except OSError:
        return None
    digest = hashlib.blake2b(digest_size=16)
    try:
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_READ + 1)
            digest.update(data)
            if len(data) > MAX_READ:
                st = os.fstat(handle.fileno())
                digest.update(f"{st.st_size} {st.st_mtime_ns}".encode())
    except OSError:
        return None
    return digest.hexdigest()


def _unescape_mount(field: str) -> str:
    # /proc/mounts writes spaces and tabs in paths as octal escapes.
    return (field.replace("\\040", " ").replace("\\011", "\t")
            .replace("\\012", "\n").replace("\\134", "\\"))


def mount_of(path: Path, mounts_text: str) -> tuple[str, str] | None:
    """(mount point, filesystem type) of the mount holding `path`, from /proc/mounts text."""
    target = str(path)
    best: tuple[str, str] | None = None
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point, fstype = _unescape_mount(fields[1]), fields[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, fstype)
    return best


def polling_reason(folder: Path, mounts_file: Path = Path("/proc/mounts"),
                   version_file: Path = Path("/proc/version")) -> str | None:
    """Why native file events cannot be trusted for `folder`, or None when they can."""
    try:
        resolved = folder.resolve()
    except OSError:
        resolved = folder
    try:
        mounts_text = mounts_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        mounts_text = ""
    found = mount_of(resolved, mounts_text)
    if found is not None:
        point, fstype = found
        if fstype in UNRELIABLE_FS or fstype.startswith("fuse") or fstype.startswith("nfs"):
            return f"{point} is a {fstype} mount"
    try:
        is_wsl = "microsoft" in version_file.read_text(encoding="utf-8").lower()
    except OSError:
        is_wsl = False
    if is_wsl and str(resolved).startswith("/mnt/"):
        return "a Windows drive under WSL"
    return None


@dataclass
class WatchMode:
    """How saves are followed, in words the screen can show."""

    kind: str  # "events" | "polling" | "manual" | "stopped"
    reason: str = ""

    def describe(self) -> str:
        if self.kind == "manual":
            return "manual: press r to check"
        if self.kind == "stopped":  # the watcher failed: say so, never go quiet
            return f"stopped following your saves ({self.reason}): press r to check"
        if self.kind == "polling":
            why = f" ({self.reason})" if self.reason else ""
            return f"polling for saves{why}"
        return "watching your saves"


class ExerciseWatcher:
    """Calls `on_change(path)` once per real change of the file being followed.

    `follow(path)` chooses the file (the current exercise) and takes its
    present content as already seen; `mark_seen(path)` does the same after
    the app checked it for another reason (a reset, `r`).
    """

    def __init__(
        self,
        folder: Path,
        on_change: Callable[[Path], None],
        *,
        poll: bool = False,
        poll_reason: str = "",
        debounce: float = DEBOUNCE_SECONDS,
        settled: float = SETTLED_SECONDS,
        poll_interval: float = POLL_SECONDS,
        on_gone: Callable[[Path], None] | None = None,
        on_stopped: Callable[[str], None] | None = None,
    ) -> None:
        self.folder = folder
        self.on_change = on_change
        self.on_gone = on_gone
        # Called (from the watcher's thread) if following saves fails for good.
        self.on_stopped = on_stopped
        self.gone = False
        self.debounce = debounce
        self.settled = settled
        self.poll_interval = poll_interval
        self.mode = WatchMode("polling", poll_reason) if poll else WatchMode("events")
        self._lock = threading.Condition()
        self._target: Path | None = None
        self._target_key: str | None = None
        self._seen_hash: str | None = None
        self._missing_pending = False
        self._deadline: float | None = None
        self._stat: tuple[int, int, int] | None = None
        self._stopped = False
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    # --- what to follow --------------------------------------------------

    def follow(self, path: Path) -> None:
        with self._lock:
            self._target = path
            self._target_key = self._key(path)
            self._seen_hash = content_hash(path) or MISSING
            self._missing_pending = False
            self._deadline = None
            self._stat = self._stat_of(path)

    def mark_seen(self, path: Path) -> None:
        with self._lock:
            if self._target is not None and self._key(path) == self._target_key:
                self._seen_hash = content_hash(path) or MISSING

    # --- lifecycle -------------------------------------------------------

    def start(self) -> WatchMode:
        """Start following; falls back to polling if native events cannot start."""
        if self.mode.kind == "events":
            try:
                self._start_observer()
            except Exception as exc:  # inotify limits, odd platforms: polling still works
                self.mode = WatchMode("polling", f"file events unavailable: {exc}")
        self._thread = threading.Thread(target=self._loop, name="torchlings-watcher",
                                        daemon=True)
        self._thread.start()
        return self.mode

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=2)
            except Exception:
                pass
        if self._thread is not None:
            self._thread.join(timeout=2)

    # --- events ----------------------------------------------------------

    def _start_observer(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                watcher._on_event(event)

        observer = Observer()
        observer.schedule(Handler(), str(self.folder), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def _on_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type in ("deleted", "moved"):
            with self._lock:
                self._lock.notify_all()  # the loop looks whether the folder is still there
            return
        if event.is_directory or event.event_type not in (
            "modified", "created", "moved", "closed", "deleted"
        ):
            return
        # A rename over the file (safe write) shows up as a move to it.
        path = event.dest_path if event.event_type == "moved" else event.src_path
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        self.touched(Path(path), complete=event.event_type in ("moved", "closed"))

    def touched(self, path: Path, complete: bool = False) -> None:
        """Something happened to `path`: (re)start the debounce if it is the followed file.

        `complete` events (the writer closed the file, or renamed a finished
        file onto it) need only a short grace; a bare "modified" may be the
        middle of a write, so it waits the whole debounce.
        """
        with self._lock:
            if self._target_key is None or self._key(path) != self._target_key:
                return
            delay = min(self.settled, self.debounce) if complete else self.debounce
            self._deadline = time.monotonic() + delay
            self._lock.notify_all()

    # --- the loop: debounce, polling, hash -------------------------------

    def _loop(self) -> None:
        """Follow saves until stopped; a failure is reported, never a silent end."""
        try:
            self._follow_saves()
        except Exception as exc:  # noqa: BLE001 - MemoryError included: whatever it is, say so
            with self._lock:
                self.mode = WatchMode("stopped", f"{type(exc).__name__}: {exc}"[:120])
            if self.on_stopped is not None:
                self.on_stopped(self.mode.reason)

    def _follow_saves(self) -> None:
        next_poll = time.monotonic()
        while True:
            if not self.folder.is_dir():
                self._folder_gone()
                return
            with self._lock:
                if self._stopped:
                    return
                now = time.monotonic()
                waits = [GONE_CHECK_SECONDS]
                if self._deadline is not None:
                    waits.append(self._deadline - now)
                if self.mode.kind == "polling":
                    waits.append(next_poll - now)
                timeout = max(0.0, min(waits))
                if timeout > 0:
                    self._lock.wait(timeout)
                if self._stopped:
                    return
                now = time.monotonic()
                if self.mode.kind == "polling" and now >= next_poll:
                    next_poll = now + self.poll_interval
                    self._poll_locked(now)
                fire = self._deadline is not None and now >= self._deadline
                if fire:
                    self._deadline = None
                target = self._target
            if fire and target is not None:
                self._settle(target)

    def _folder_gone(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.gone = True
        if self.on_gone is not None:
            self.on_gone(self.folder)

    def _poll_locked(self, now: float) -> None:
        if self._target is None:
            return
        stat = self._stat_of(self._target)
        if stat != self._stat:
            self._stat = stat
            self._deadline = now + self.debounce

    def _settle(self, target: Path) -> None:
        digest = content_hash(target)
        with self._lock:
            if target != self._target:
                return  # switched to another exercise meanwhile
            if digest is None and not os.path.lexists(target):
                # Deleted: maybe mid-save (an editor's delete, then create). Once it
                # stays gone past a grace, that is news too: the check says how to
                # bring it back.
                if not self._missing_pending:
                    self._missing_pending = True
                    self._deadline = time.monotonic() + MISSING_GRACE_SECONDS
                    self._lock.notify_all()
                    return
                digest = MISSING
            self._missing_pending = False
            if digest is None or digest == self._seen_hash:
                return  # unreadable mid-save (a create event follows), or unchanged
            self._seen_hash = digest
        self.on_change(target)

    @staticmethod
    def _stat_of(path: Path) -> tuple[int, int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    @staticmethod
    def _key(path: Path) -> str:
        # Compare by absolute path without resolving symlinks of the file
        # itself (a rename makes it a new inode under the same name).
        return os.path.normcase(os.path.abspath(path))

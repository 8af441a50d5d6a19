"""The watch mode app: where the learner lives while solving exercises.

Events flow one way. Producers (the file watcher, the engine warming up, the
check workers) post messages (tui/messages.py); the app handles them here with
`@on`, applies the workspace's progression policy, and sets its reactive
attributes; screens and widgets watch those attributes and redraw. Screens call
the public methods below for what a key asks for. Checks run in Textual thread
workers (engine.check blocks), so the screen never waits on one; torch is never
imported in this process.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.filter import Monochrome, NoColor
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from torchlings.course import Exercise
from torchlings.engine import CheckResult, Engine, Status, check_many, check_one
from torchlings.learner.progress import Progress, RecheckCourse
from torchlings.learner.report import display_path
from torchlings.learner.state import workspace_gone_message
from torchlings.learner.update import OLDER_NOTE, is_older
from torchlings.learner.watcher import DEBOUNCE_SECONDS, ExerciseWatcher, WatchMode, polling_reason
from torchlings.learner.workspace import Workspace, check_timeout
from torchlings.tui import stop_signals
from torchlings.tui.editor import editor_command, run_editor
from torchlings.tui.messages import (
    CheckAllFinished,
    CheckAllProgress,
    CheckFinished,
    CheckStarted,
    EngineReady,
    FileChanged,
    SeriesUpdated,
    ShippedCopySaved,
    SolutionRead,
    WatchStopped,
    WorkspaceGone,
)
from torchlings.tui.notices import Notices
from torchlings.tui.shipped_copy import ShippedCopyWatch
from torchlings.tui.state import CheckAllRun, Hints, Solution
from torchlings.tui.status import StatusInputs, status_line


@dataclass
class WatchOptions:
    poll: bool = False
    manual_run: bool = False
    edit_cmd: str | None = None
    debounce: float = DEBOUNCE_SECONDS


# How long the thread holding the GIL keeps it from one that waits (see on_mount).
GIL_SWITCH_SECONDS = 0.001


class TorchlingsApp(App[str]):
    CSS_PATH = "torchlings.tcss"
    TITLE = "torchlings"
    ENABLE_COMMAND_PALETTE = False
    # Learners press Ctrl-C to leave a terminal program: let it quit, like q.
    BINDINGS = [Binding("ctrl+c", "quit", "quit", show=False, priority=True)]

    # --- the session, as reactive state the screens watch -------------------
    current: reactive[Exercise] = reactive(None, always_update=True)  # type: ignore[arg-type]
    result: reactive[CheckResult | None] = reactive(None, always_update=True)
    progress: reactive[Progress | None] = reactive(None, always_update=True)
    checking: reactive[bool] = reactive(False)
    queued: reactive[bool] = reactive(False)  # check the current one (again) when free
    engine_ready: reactive[bool] = reactive(False)
    live_series: reactive[dict[str, list[float]]] = reactive(dict, always_update=True)
    hints: reactive[Hints] = reactive(Hints)
    solution: reactive[Solution | None] = reactive(None)  # of the current one, once it passed
    done_count: reactive[int] = reactive(0)
    check_all_run: reactive[CheckAllRun | None] = reactive(None)  # the latest "check all"
    mode: reactive[WatchMode] = reactive(lambda: WatchMode("manual"))
    gone: reactive[str | None] = reactive(None)  # what to say once the workspace was deleted

    def __init__(self, workspace: Workspace, engine: Engine,
                 options: WatchOptions | None = None) -> None:
        super().__init__()
        if self.no_color:
            # Textual's own NO_COLOR filter turns colours into greys (256-colour codes, a
            # dark background): no colour at all is what NO_COLOR asks for.
            self._filters = [NoColor() if isinstance(f, Monochrome) else f for f in self._filters]
        self.workspace = workspace
        self.engine = engine
        self.options = options or WatchOptions()
        self.set_reactive(TorchlingsApp.current, workspace.current())
        self.set_reactive(TorchlingsApp.done_count, workspace.done_count)
        self.watcher: ExerciseWatcher | None = None
        self.stopped_by_signal: int | None = None  # SIGTERM/SIGHUP ended it (stop_signals)
        self.compile_seen = False  # a torch.compile exercise was checked this session
        self._unsaved = False  # a verdict recorded but not yet written to disk
        self._switch_interval = sys.getswitchinterval()  # put back on quit (see on_mount)
        self.notices = Notices(self.notify, workspace, engine)
        # The check in flight: when it began (or the engine became ready) and its limit.
        self.check_began = self.engine_ready_at = time.monotonic()
        self.check_timeout = 0.0
        self.shipped_copy = ShippedCopyWatch(
            workspace, self._post_shipped_copy_saved, poll=self.options.poll)

    # --- lifecycle -------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        from torchlings.tui.screens.watch import WatchScreen

        return WatchScreen()

    def on_mount(self) -> None:
        # The check's thread does a few milliseconds of work between system calls
        # (scratch folder, pipes, the request); each call gives the GIL away, and
        # getting it back from a redraw took up to the default 5 ms: a verdict
        # that followed a heavy redraw started 150 ms late. 1 ms keeps it prompt.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, GIL_SWITCH_SECONDS))
        stop_signals.install(self)  # SIGTERM, SIGHUP: exit as q does, terminal restored
        self.engine.start()
        self.engine_ready = self.engine.is_ready()
        if not self.engine_ready:
            self.wait_for_engine()
        else:
            self.engine_ready_at = time.monotonic()
        self.mode = self._start_watcher()
        self.notices.new_warnings()
        if self.workspace.note:
            note = self.workspace.note
            self.notify(f"{note[0].upper()}{note[1:]}.", timeout=10)
        if is_older(self.workspace.root):
            self.notify(OLDER_NOTE, severity="warning", timeout=20)
        self.request_check()

    @property
    def all_running(self) -> bool:
        return self.check_all_run is not None and self.check_all_run.running

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        self._save_progress()  # a verdict that came in just before the quit
        if self.check_all_run is not None:
            self.check_all_run.cancel.set()
        if self.watcher is not None:
            self.watcher.stop()
        self.shipped_copy.stop()
        # Checks still running return at once, so their workers do not hold up the exit.
        self.engine.close()

    def _start_watcher(self) -> WatchMode:
        if self.options.manual_run:
            return WatchMode("manual")
        folder = self.workspace.root / "exercises"
        reason = polling_reason(folder)
        poll = self.options.poll or reason is not None
        why = "--poll" if self.options.poll else (reason or "")
        self.watcher = ExerciseWatcher(folder, self._post_change, poll=poll,
                                       poll_reason=why, debounce=self.options.debounce,
                                       on_gone=self._post_gone,
                                       on_stopped=self._post_watch_stopped)
        self.watcher.follow(self.workspace.exercise_path(self.current))
        self.shipped_copy.follow(self.current)
        self.shipped_copy.start()
        return self.watcher.start()

    def _post_change(self, path: Path) -> None:  # on the watcher's thread
        self.post_message(FileChanged(path))

    def _post_shipped_copy_saved(self, path: Path) -> None:  # on the watcher's thread
        self.post_message(ShippedCopySaved(path))

    def _post_gone(self, folder: Path) -> None:  # on the watcher's thread
        self.post_message(WorkspaceGone(folder))

    def _post_watch_stopped(self, reason: str) -> None:  # on the watcher's thread
        self.post_message(WatchStopped(reason))

    # --- producers: workers on threads that only post messages -------------

    @work(thread=True, exclusive=True, group="engine")
    def wait_for_engine(self) -> None:
        worker = get_current_worker()
        # In short waits, so that a cancelled worker (the app closing) ends soon.
        while not worker.is_cancelled and not self.engine.wait_ready(0.5):
            pass
        if not worker.is_cancelled:
            self.post_message(EngineReady())

    def run_check(self, exercise: Exercise) -> None:
        # A thread of its own, started now: a Textual worker would only start
        # once the event loop came round to it, after the screen had been
        # redrawn to say "checking". Only one runs at a time (see _pump).
        threading.Thread(target=self._check_on_thread, args=(exercise,),
                         name="torchlings-check", daemon=True).start()

    def _check_on_thread(self, exercise: Exercise) -> None:
        self.post_message(CheckStarted(exercise))
        job = self.workspace.job(exercise)  # reads the check file: off the UI thread

        def on_series(series: dict[str, list[float]]) -> None:
            self.post_message(SeriesUpdated(exercise, {k: list(v) for k, v in series.items()}))

        # An engine bug becomes a FAULT result: the screen never stays on "checking".
        result = check_one(self.engine, job, on_series)
        self.post_message(CheckFinished(exercise, result))

    @work(thread=True, exclusive=True, group="solution")
    def load_solution(self, exercise: Exercise) -> None:
        """Read the reference solution here, never while drawing: it may take a `git show`."""
        text = self.workspace.solution_text(exercise)
        if text is not None:
            local = self.workspace.root / exercise.solution_rel
            self.post_message(SolutionRead(Solution(exercise, text,
                                                    local if local.is_file() else None)))

    @work(thread=True, exclusive=True, group="check-all")
    def run_check_all(self, exercises: tuple[Exercise, ...], cancel: threading.Event) -> None:
        """The same `check_many` as `torchlings verify`; a cancel stops after the checks in flight."""

        def on_result(index: int, result: CheckResult) -> None:
            self.post_message(CheckAllProgress(index, exercises[index], result))

        # Building a job reads the check file (is it the shipped one?): here, off the UI thread.
        # An engine's own exception is a FAULT result of that one check (check_one).
        check_many(self.engine, [self.workspace.job(e) for e in exercises],
                   on_result=on_result, cancel=cancel)
        self.post_message(CheckAllFinished(cancel.is_set()))

    # --- handlers: the one place state changes ----------------------------

    @on(EngineReady)
    def _engine_ready(self) -> None:
        self.engine_ready_at = time.monotonic()
        self.engine_ready = True
        self.notices.engine_error()

    @on(WatchStopped)
    def _watch_stopped(self, message: WatchStopped) -> None:
        self.mode = WatchMode("stopped", message.reason)
        self.notify(f"Saves are no longer followed ({message.reason}). Press r to check; "
                    "restart torchlings to follow saves again.", severity="error", timeout=30)

    @on(WorkspaceGone)
    def _workspace_gone(self, message: WorkspaceGone | None = None) -> None:
        if self.gone is not None:
            return
        self.gone = workspace_gone_message(self.workspace.root)
        self.notices.workspace_gone(self.gone)
        self.queued = False
        if self.check_all_run is not None:
            self.check_all_run.cancel.set()
        if self.watcher is not None:
            self.watcher.stop()

    @on(FileChanged)
    def _file_changed(self, message: FileChanged) -> None:
        if message.path == self.workspace.exercise_path(self.current):
            self.request_check()

    @on(ShippedCopySaved)
    def _shipped_copy_saved(self, message: ShippedCopySaved) -> None:
        mine = display_path(self.workspace.exercise_path(self.current))
        self.notify(f"You saved {display_path(message.path)}: that is the course's shipped "
                    f"copy, which is never checked. Your exercise is {mine}: make the change "
                    "there (e opens it).", severity="warning", timeout=20)

    @on(CheckStarted)
    def _check_started(self, message: CheckStarted) -> None:
        if message.exercise == self.current:
            self.live_series = {}

    @on(SeriesUpdated)
    def _series_updated(self, message: SeriesUpdated) -> None:
        if self.checking and message.exercise == self.current:
            self.live_series = message.series

    @on(CheckFinished)
    def _check_finished(self, message: CheckFinished) -> None:
        exercise, result = message.exercise, message.result
        self.checking = False
        self.notices.engine_error()
        if self.gone is not None:
            return  # nothing to record it in any more
        if exercise.uses_compile:
            self.compile_seen = True
        # Written to disk (an fsync) once the verdict is on the screen, not before.
        progress = self.workspace.record(exercise, result, save=False)
        self._unsaved = True
        self.call_after_refresh(self._save_progress)
        self.done_count = self.workspace.done_count
        if exercise == self.current:
            self._show(result, progress)
        run = self.check_all_run
        if run is not None and run.waiting:
            self.check_all_run = replace(run, waiting=False)
            self.run_check_all(run.exercises, run.cancel)
        elif self.queued:
            self._pump()
        elif exercise == self.current and isinstance(progress.step, RecheckCourse):
            # Nothing else is pending: re-check everything before saying the course is done.
            self.check_all(final=True)

    def _save_progress(self) -> None:
        if not self._unsaved:
            return
        self._unsaved = False
        self.workspace.save()
        self.done_count = self.workspace.done_count  # with what other runners saved
        self.notices.new_warnings()

    @on(CheckAllProgress)
    def _check_all_progress(self, message: CheckAllProgress) -> None:
        if self.gone is not None:
            return
        progress = self.workspace.record(message.exercise, message.result)
        self.done_count = self.workspace.done_count
        if message.exercise == self.current:
            self._show(message.result, progress)
        if self.check_all_run is not None:
            self.check_all_run = self.check_all_run.with_result(message.index, message.result)

    @on(CheckAllFinished)
    def _check_all_finished(self, message: CheckAllFinished) -> None:
        run = self.check_all_run
        if run is None:
            return
        course = None
        if run.final and not message.cancelled:
            results = [(run.exercises[i], r) for i, r in sorted(run.results.items())]
            course = self.workspace.course_check(results)
        self.check_all_run = run.ended(message.cancelled, course)
        self._pump()

    @on(SolutionRead)
    def _solution_read(self, message: SolutionRead) -> None:
        if message.solution.exercise == self.current and self.result is not None \
                and self.result.status is Status.PASSED:
            self.solution = message.solution

    def _show(self, result: CheckResult, progress: Progress) -> None:
        """The current exercise's new verdict; a pass also brings its reference solution."""
        self.progress = progress
        self.result = result
        self.solution = None
        if result.status is Status.PASSED:
            self.load_solution(self.current)

    # --- actions the screens call ----------------------------------------

    def request_check(self) -> None:
        """Check the current exercise now, or right after what is running."""
        if self.gone is None and self.workspace.store.gone:
            self._workspace_gone()  # no watcher noticed it (--manual-run)
        if self.gone is not None:
            return
        self.queued = True
        self._pump()

    def _pump(self) -> None:
        if not self.queued or self.checking or self.all_running:
            return
        self.queued = False
        exercise = self.current
        if self.watcher is not None:
            self.watcher.mark_seen(self.workspace.exercise_path(exercise))
        # The job itself is built in the check's thread (it reads the check file).
        self.check_began, self.check_timeout = time.monotonic(), check_timeout(exercise)
        self.run_check(exercise)  # before the redraw that `checking` causes
        self.checking = True

    def check_all(self, final: bool = False) -> None:
        from torchlings.tui.screens.check_all import CheckAllScreen

        if self.all_running or self.gone is not None:
            return
        run = CheckAllRun(tuple(self.workspace.course.exercises), final=final,
                          waiting=self.checking)  # then it begins once that check is back
        self.check_all_run = run
        self.push_screen(CheckAllScreen(list(run.exercises), final=final), self._all_dismissed)
        if not run.waiting:
            self.run_check_all(run.exercises, run.cancel)

    def stop_check_all(self) -> None:
        run = self.check_all_run
        if run is not None and run.running:
            run.cancel.set()
            self.check_all_run = replace(run, state="stopping")

    def _all_dismissed(self, _: None = None) -> None:
        # The final re-check already moved "current" where the workspace decided
        # (Workspace.go: the first exercise that needs work); the screen follows.
        name = self.workspace.state.current
        target = self.workspace.course.by_name(name) if name else None
        if target is not None and target != self.current:
            self.switch_to(target)

    @property
    def can_go_next(self) -> bool:
        progress = self.progress
        return (progress is not None and progress.exercise == self.current
                and progress.next is not None)

    def go_next(self) -> None:
        if self.can_go_next and self.progress is not None:
            following = self.workspace.go(self.progress)
            if following is not None:
                self.switch_to(following)

    def switch_to(self, exercise: Exercise) -> None:
        self.workspace.set_current(exercise)
        if exercise == self.current:
            return
        self.current = exercise
        self.result = None
        self.progress = None
        self.solution = None
        self.live_series = {}
        self.hints = Hints()
        if self.watcher is not None:
            self.watcher.follow(self.workspace.exercise_path(exercise))
            self.shipped_copy.follow(exercise)
        self.request_check()

    def reveal_hint(self) -> bool:
        """Show one more hint; False when every hint was already on screen."""
        if not self.current.hints:
            return False
        before = self.hints.shown if self.hints.visible else 0
        seen = self.workspace.reveal_hint(self.current)
        # Hints seen in an earlier session (or hidden with H) come back at the first press.
        self.hints = Hints(max(seen, min(before + 1, len(self.current.hints))), visible=True)
        return self.hints.shown > before

    def hide_hints(self) -> None:
        self.hints = replace(self.hints, visible=False)

    def reset(self, exercise: Exercise) -> None:
        existed = self.workspace.exercise_path(exercise).exists()
        try:
            backup = self.workspace.reset(exercise)
        except OSError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.done_count = self.workspace.done_count
        path = display_path(self.workspace.exercise_path(exercise))
        if backup is None:
            self.notify(f"Brought back {path}." if not existed else
                        f"{path} already is the shipped version.")
        else:
            self.notify(f"Reset {path}. Your version is kept at {display_path(backup)}.",
                        timeout=8)
        if exercise == self.current:
            self.result = None
            self.progress = None
            self.solution = None
            self.request_check()

    def status(self) -> tuple[str, str]:
        """(first word, the rest) of the status line."""
        return status_line(StatusInputs(
            current=self.current, result=self.result, progress=self.progress,
            checking=self.checking or self.queued, engine_ready=self.engine_ready,
            all_running=self.all_running, gone=self.gone is not None,
            course_done=self.done_count == len(self.workspace.course.exercises),
            compile_seen=self.compile_seen))

    @property
    def status_text(self) -> str:
        word, rest = self.status()
        return f"{word} — {rest}" if rest else word

    def exit_summary(self) -> str:
        """A few plain lines left on the terminal after q: the last verdict and the file."""
        exercise = self.current
        total = len(self.workspace.course.exercises)
        # No key works in the shell: "Press n for 02 x" would ask for one that is gone.
        status = self.status_text.replace(". Press n for ", "; next: ")
        return (f"torchlings: {status}\n"
                f"  {exercise.label}/{total:02d} {exercise.name}: "
                f"{display_path(self.workspace.exercise_path(exercise))}\n"
                f"  {self.done_count} of {total} exercises done.")

    async def action_quit(self) -> None:
        self.exit(self.exit_summary())

    def editor_command(self) -> list[str] | None:
        return editor_command(self.options.edit_cmd, self.workspace.exercise_path(self.current))

    def open_editor(self) -> None:
        run_editor(self, self.editor_command())

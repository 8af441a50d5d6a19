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

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.filter import Monochrome, NoColor
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from torchlings.course import Exercise
from torchlings.engine import CheckJob, CheckResult, Engine, Status, check_many
from torchlings.learner.report import display_path
from torchlings.learner.state import workspace_gone_message
from torchlings.learner.update import OLDER_NOTE, is_older
from torchlings.learner.watcher import DEBOUNCE_SECONDS, ExerciseWatcher, WatchMode, polling_reason
from torchlings.learner.workspace import CourseCheck, Progress, Workspace
from torchlings.tui import stop_signals
from torchlings.tui.editor import editor_command, run_editor
from torchlings.tui.engine_calls import Cancellable, Stopped, check_with_series
from torchlings.tui.messages import (
    CheckAllFinished,
    CheckAllProgress,
    CheckFinished,
    CheckStarted,
    EngineReady,
    FileChanged,
    SeriesUpdated,
    ShippedCopySaved,
    WatchStopped,
    WorkspaceGone,
)
from torchlings.tui.notices import Notices
from torchlings.tui.shipped_copy import ShippedCopyWatch
from torchlings.tui.status import StatusInputs, status_line, uses_compile


@dataclass
class WatchOptions:
    poll: bool = False
    manual_run: bool = False
    edit_cmd: str | None = None
    debounce: float = DEBOUNCE_SECONDS


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
    hints_shown: reactive[int] = reactive(0)
    hints_visible: reactive[bool] = reactive(False)
    done_count: reactive[int] = reactive(0)
    all_running: reactive[bool] = reactive(False)
    all_results: reactive[dict[int, CheckResult]] = reactive(dict, always_update=True)
    all_state: reactive[str] = reactive("idle")  # idle | running | stopping | finished | stopped
    course_result: reactive[CourseCheck | None] = reactive(None)
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
        self.compile_seen = False  # a torch.compile exercise was checked this session
        self.all_exercises: list[Exercise] = []
        self.all_final = False
        self._all_pending = False  # check all waits for the single check in flight
        self._cancel_all = threading.Event()
        self.notices = Notices(self.notify, workspace, engine)
        # The check in flight: when it began (or the engine became ready) and its limit.
        self.check_began = self.engine_ready_at = time.monotonic()
        self.check_timeout = 0.0
        self.shipped_copy = ShippedCopyWatch(
            workspace, lambda path: self.post_message(ShippedCopySaved(path)),
            poll=self.options.poll)

    # --- lifecycle -------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from torchlings.tui.screens.watch import WatchScreen

        return WatchScreen()

    def on_mount(self) -> None:
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

    def on_unmount(self) -> None:
        self._cancel_all.set()
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

    def _post_gone(self, folder: Path) -> None:  # on the watcher's thread
        self.post_message(WorkspaceGone(folder))

    def _post_watch_stopped(self, reason: str) -> None:  # on the watcher's thread
        self.post_message(WatchStopped(reason))

    # --- producers: workers on threads that only post messages -------------

    @work(thread=True, exclusive=True, group="engine")
    def wait_for_engine(self) -> None:
        worker = get_current_worker()
        wait_ready = getattr(self.engine, "wait_ready", None)
        while not worker.is_cancelled:
            if wait_ready is not None:
                if wait_ready(0.5):
                    break
            elif self.engine.is_ready():
                break
            else:
                time.sleep(0.1)  # this engine has no event to wait on
        if not worker.is_cancelled:
            self.post_message(EngineReady())

    @work(thread=True, exclusive=True, group="check")
    def run_check(self, exercise: Exercise, job: CheckJob) -> None:
        self.post_message(CheckStarted(exercise))

        def on_series(series: dict[str, list[float]]) -> None:
            self.post_message(SeriesUpdated(exercise, {k: list(v) for k, v in series.items()}))

        try:
            result = check_with_series(self.engine, job, on_series)
        except Exception as exc:  # an engine bug must not leave the screen saying "checking"
            result = CheckResult(Status.ERROR, summary=f"the check could not run: {exc}")
        self.post_message(CheckFinished(exercise, result))

    @work(thread=True, exclusive=True, group="check-all")
    def run_check_all(self, exercises: list[Exercise], cancel: threading.Event) -> None:
        """The same `check_many` as `torchlings verify`; a cancel stops after the checks in flight."""

        def on_result(index: int, result: CheckResult) -> None:
            self.post_message(CheckAllProgress(index, exercises[index], result))

        try:
            check_many(Cancellable(self.engine, cancel),
                       [self.workspace.job(e) for e in exercises], on_result=on_result)
        except Stopped:
            pass
        except Exception as exc:  # an engine bug: say so rather than hang on "checking"
            self.post_message(CheckAllProgress(
                -1, exercises[0], CheckResult(Status.ERROR, summary=f"check all failed: {exc}")))
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
        self._cancel_all.set()
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
        if uses_compile(exercise):
            self.compile_seen = True
        progress = self.workspace.record(exercise, result)
        self.done_count = self.workspace.done_count
        self.notices.new_warnings()
        if exercise == self.current:
            self.progress = progress
            self.result = result
        if self._all_pending:
            self._all_pending = False
            self.run_check_all(self.all_exercises, self._cancel_all)
        elif self.queued:
            self._pump()
        elif exercise == self.current and progress.final_check:
            # Nothing else is pending: re-check everything before saying the course is done.
            self.check_all(final=True)

    @on(CheckAllProgress)
    def _check_all_progress(self, message: CheckAllProgress) -> None:
        if message.index < 0:
            self.notify(message.result.summary, severity="error", timeout=10)
            return
        if self.gone is not None:
            return
        progress = self.workspace.record(message.exercise, message.result)
        self.done_count = self.workspace.done_count
        if message.exercise == self.current:
            self.progress = progress
            self.result = message.result
        self.all_results = {**self.all_results, message.index: message.result}

    @on(CheckAllFinished)
    def _check_all_finished(self, message: CheckAllFinished) -> None:
        self.all_running = False
        if self.all_final and not message.cancelled:
            results = [(self.all_exercises[i], r) for i, r in sorted(self.all_results.items())]
            self.course_result = self.workspace.course_check(results)
        self.all_state = "stopped" if message.cancelled else "finished"
        self._pump()

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
        job = self.workspace.job(exercise)
        self.check_began, self.check_timeout = time.monotonic(), job.timeout
        self.checking = True
        self.run_check(exercise, job)

    def check_all(self, final: bool = False) -> None:
        from torchlings.tui.screens.check_all import CheckAllScreen

        if self.all_running or self.gone is not None:
            return
        self.all_exercises = list(self.workspace.course.exercises)
        self.all_final = final
        self._cancel_all = threading.Event()
        self.all_results = {}
        self.course_result = None
        self.all_state = "running"
        self.all_running = True
        self.push_screen(CheckAllScreen(self.all_exercises, final=final), self._all_dismissed)
        if self.checking:
            self._all_pending = True  # begins once the single check in flight is back
        else:
            self.run_check_all(self.all_exercises, self._cancel_all)

    def stop_check_all(self) -> None:
        if self.all_running:
            self._cancel_all.set()
            self.all_state = "stopping"

    def _all_dismissed(self, first_failing: Exercise | None = None) -> None:
        # After the final re-check found a problem, land on the first one that needs work.
        if first_failing is not None and first_failing != self.current:
            self.switch_to(first_failing)

    @property
    def can_go_next(self) -> bool:
        progress = self.progress
        return (progress is not None and progress.exercise == self.current
                and progress.may_move_on and progress.next is not None)

    def go_next(self) -> None:
        if self.can_go_next and self.progress is not None and self.progress.next is not None:
            self.switch_to(self.progress.next)

    def switch_to(self, exercise: Exercise) -> None:
        self.workspace.set_current(exercise)
        if exercise == self.current:
            return
        self.current = exercise
        self.result = None
        self.progress = None
        self.live_series = {}
        self.hints_shown = 0
        self.hints_visible = False
        if self.watcher is not None:
            self.watcher.follow(self.workspace.exercise_path(exercise))
            self.shipped_copy.follow(exercise)
        self.request_check()

    def reveal_hint(self) -> bool:
        """Show one more hint; False when every hint was already on screen."""
        if not self.current.hints:
            return False
        before = self.hints_shown if self.hints_visible else 0
        seen = self.workspace.reveal_hint(self.current)
        # Hints seen in an earlier session (or hidden with H) come back at the first press.
        self.hints_shown = max(seen, min(before + 1, len(self.current.hints)))
        self.hints_visible = True
        return self.hints_shown > before

    def hide_hints(self) -> None:
        self.hints_visible = False

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

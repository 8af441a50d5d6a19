"""The watch mode app: where the learner lives while solving exercises.

The app owns the session: which exercise is current, the last verdict, the
check in flight, and the watcher. Screens only draw that state and turn keys
into calls on the app. Checks run on plain daemon threads (engine.check
blocks) and report back through `call_from_thread`, so the screen never waits
on a check; torch is never imported in this process.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from torchlings.course import Exercise
from torchlings.engine import CheckJob, CheckResult, Engine, Status
from torchlings.tui.widgets import status_word_for
from torchlings.watcher import DEBOUNCE_SECONDS, ExerciseWatcher, WatchMode, polling_reason
from torchlings.workspace import Workspace

if TYPE_CHECKING:
    from torchlings.tui.screens import CheckAllScreen

WARMING = "warming up the engine (importing torch)"


@dataclass
class WatchOptions:
    poll: bool = False
    manual_run: bool = False
    edit_cmd: str | None = None
    debounce: float = DEBOUNCE_SECONDS


class TorchlingsApp(App[None]):
    CSS_PATH = "torchlings.tcss"
    TITLE = "torchlings"
    ENABLE_COMMAND_PALETTE = False
    # Learners press Ctrl-C to leave a terminal program: let it quit, like q.
    BINDINGS = [Binding("ctrl+c", "quit", "quit", show=False, priority=True)]

    def __init__(self, workspace: Workspace, engine: Engine,
                 options: WatchOptions | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.engine = engine
        self.options = options or WatchOptions()
        self.current: Exercise = workspace.current()
        self.result: CheckResult | None = None  # the verdict on the current exercise
        self.results: dict[str, CheckResult] = {}  # this session's latest verdict per name
        self.hints_shown = 0
        self.checking: Exercise | None = None  # the single check in flight
        self.queued = False  # the current exercise should be checked (again) when free
        self.all_running = False
        self.watcher: ExerciseWatcher | None = None
        self.mode = WatchMode("manual")
        self._was_ready = False
        self._all_waiting: Callable[[], None] | None = None

    # --- lifecycle -------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from torchlings.tui.screens import WatchScreen

        return WatchScreen()

    def on_mount(self) -> None:
        self.engine.start()
        self._was_ready = self.engine.is_ready()
        self.mode = self._start_watcher()
        for warning in self.workspace.warnings:
            self.notify(warning, severity="warning", timeout=10)
        self.set_interval(0.2, self._tick)
        self.request_check()
        # The first syntax-highlighted result costs a lexer import; pay it while waiting.
        threading.Thread(target=_prewarm_highlighting, daemon=True).start()

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    def _start_watcher(self) -> WatchMode:
        if self.options.manual_run:
            return WatchMode("manual")
        folder = self.workspace.root / "exercises"
        reason = polling_reason(folder)
        poll = self.options.poll or reason is not None
        why = "--poll" if self.options.poll else (reason or "")
        self.watcher = ExerciseWatcher(folder, self._changed_from_thread, poll=poll,
                                       poll_reason=why, debounce=self.options.debounce)
        self.watcher.follow(self.workspace.exercise_path(self.current))
        return self.watcher.start()

    def _tick(self) -> None:
        # The engine warms up in the background; say so until it is ready.
        ready = self.engine.is_ready()
        if ready != self._was_ready:
            self._was_ready = ready
            self.refresh_view()

    # --- the view --------------------------------------------------------

    def refresh_view(self) -> None:
        from torchlings.tui.screens import WatchScreen

        for screen in self.screen_stack:
            if isinstance(screen, WatchScreen):
                screen.refresh_view()

    @property
    def busy(self) -> bool:
        return self.checking is not None or self.all_running

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.status in (Status.PASSED, Status.SKIPPED)

    @property
    def next_exercise(self) -> Exercise | None:
        following = self.workspace.next_pending(after=self.current)
        return None if following is None or following == self.current else following

    def status(self) -> tuple[str, str]:
        """(first word, the rest) of the status line."""
        label = f"{self.current.label} {self.current.name}"
        if self.all_running:
            return "checking", "checking every exercise"
        if self.checking is not None or self.queued or self.result is None:
            if not self.engine.is_ready():
                return "checking", f"{WARMING}, then {label}"
            return "checking", f"{label} …"
        word = status_word_for(self.result)
        result = self.result
        if word == "done":
            if result.status is Status.SKIPPED:
                rest = f"{label} is not checked here: {result.summary.removeprefix('skipped: ')}"
            else:
                rest = f"{label} passes"
            following = self.next_exercise
            if following is not None:
                rest += f". Press n for {following.label} {following.name}"
            elif self.workspace.done_count == len(self.workspace.course.exercises):
                rest += ". Every exercise is done"
            return word, rest
        if result.status is Status.NOT_DONE:
            summary = result.summary or "not done yet"
            if not summary.startswith("not done"):
                summary = f"not done yet: {summary}"
            return word, summary
        summary = result.summary or result.status.value
        return word, summary

    @property
    def status_text(self) -> str:
        word, rest = self.status()
        return f"{word} — {rest}" if rest else word

    # --- checks ----------------------------------------------------------

    def request_check(self) -> None:
        """Check the current exercise now, or right after what is running."""
        self.queued = True
        self._pump()
        self.refresh_view()

    def _pump(self) -> None:
        if not self.queued or self.busy:
            return
        self.queued = False
        exercise = self.current
        self.checking = exercise
        path = self.workspace.exercise_path(exercise)
        if self.watcher is not None:
            self.watcher.mark_seen(path)  # this content is being checked now
        job = self.workspace.job(exercise)
        thread = threading.Thread(target=self._check_thread, args=(exercise, job),
                                  name="torchlings-check", daemon=True)
        thread.start()

    def _check_thread(self, exercise: Exercise, job: CheckJob) -> None:
        try:
            result = self.engine.check(job)
        except Exception as exc:  # an engine bug must not leave the screen saying "checking"
            result = CheckResult(Status.ERROR, summary=f"the check could not run: {exc}")
        self._from_thread(self._check_finished, exercise, result)

    def _from_thread(self, callback: Callable, *args: object) -> None:
        """Run `callback(*args)` on the app's loop without waiting for it.

        Unlike `call_from_thread`, this never blocks the calling thread, so a
        check finishing after the learner quit just goes nowhere.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._run_posted, callback, args)
        except RuntimeError:
            pass  # the loop closed in between: the app has quit

    def _run_posted(self, callback: Callable, args: tuple) -> None:
        if not self.is_running:
            return
        with self._context():
            callback(*args)

    def _changed_from_thread(self, path: Path) -> None:
        self._from_thread(self._file_changed, path)

    def _file_changed(self, path: Path) -> None:
        if path == self.workspace.exercise_path(self.current):
            self.request_check()

    def _check_finished(self, exercise: Exercise, result: CheckResult) -> None:
        self.checking = None
        self.results[exercise.name] = result
        if exercise == self.current:
            self.result = result
        # The verdict goes on screen first; saving progress (an fsync) waits a frame.
        self.refresh_view()
        self.call_after_refresh(self._after_verdict, exercise, result)

    def _after_verdict(self, exercise: Exercise, result: CheckResult) -> None:
        newly_done = not self.workspace.is_done(exercise)
        self.workspace.record(exercise, result)
        if self._all_waiting is not None:
            start, self._all_waiting = self._all_waiting, None
            start()
        elif self.queued:
            self._pump()
        elif (exercise == self.current and result.status is Status.PASSED and newly_done
              and self.workspace.next_pending() is None):
            # The last one passed: re-check everything before saying the course is done.
            self.check_all(final=True)
        self.refresh_view()

    def _accept(self, exercise: Exercise, result: CheckResult) -> None:
        self.workspace.record(exercise, result)
        self.results[exercise.name] = result
        if exercise == self.current:
            self.result = result

    # --- check all -------------------------------------------------------

    def check_all(self, final: bool = False) -> None:
        from torchlings.tui.screens import CheckAllScreen

        if self.all_running:
            return
        exercises = list(self.workspace.course.exercises)
        screen = CheckAllScreen(exercises, final=final)
        self.all_running = True
        cancel = threading.Event()
        screen.cancel = cancel

        def start() -> None:
            thread = threading.Thread(target=self._all_thread, args=(exercises, screen, cancel),
                                      name="torchlings-check-all", daemon=True)
            thread.start()

        self.push_screen(screen, self._all_dismissed)
        if self.checking is None:
            start()
        else:
            self._all_waiting = start  # begins once the single check in flight is back
        self.refresh_view()

    def _all_thread(self, exercises: list[Exercise], screen: CheckAllScreen,
                    cancel: threading.Event) -> None:
        lock = threading.Lock()
        position = iter(range(len(exercises)))

        def worker() -> None:
            while not cancel.is_set():
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                self._from_thread(screen.started, index)
                exercise = exercises[index]
                try:
                    result = self.engine.check(self.workspace.job(exercise))
                except Exception as exc:
                    result = CheckResult(Status.ERROR, summary=f"the check could not run: {exc}")
                self._from_thread(self._all_result, screen, index, exercise, result)

        workers = [threading.Thread(target=worker, daemon=True) for _ in range(2)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        self._from_thread(self._all_finished, screen, cancel.is_set())

    def _all_result(self, screen: CheckAllScreen, index: int, exercise: Exercise,
                    result: CheckResult) -> None:
        self._accept(exercise, result)
        screen.record(index, result)

    def _all_finished(self, screen: CheckAllScreen, cancelled: bool) -> None:
        self.all_running = False
        screen.finish(cancelled, self.workspace.course.final)
        self._pump()
        self.refresh_view()

    def _all_dismissed(self, first_failing: Exercise | None = None) -> None:
        # After the final re-check found a problem, land on the first one that needs work.
        if first_failing is not None and first_failing != self.current:
            self.switch_to(first_failing)
        self.refresh_view()

    # --- actions the screens call ----------------------------------------

    def switch_to(self, exercise: Exercise) -> None:
        self.workspace.set_current(exercise)
        if exercise == self.current:
            return
        self.current = exercise
        self.result = None
        self.hints_shown = 0
        if self.watcher is not None:
            self.watcher.follow(self.workspace.exercise_path(exercise))
        self.request_check()

    def go_next(self) -> None:
        following = self.next_exercise
        if self.passed and following is not None:
            self.switch_to(following)

    def reveal_hint(self) -> bool:
        """Show one more hint; False when every hint was already on screen."""
        if not self.current.hints:
            return False
        before = self.hints_shown
        seen = self.workspace.reveal_hint(self.current)
        # Hints seen in an earlier session come back at the first press.
        self.hints_shown = max(seen, min(before + 1, len(self.current.hints)))
        self.refresh_view()
        return self.hints_shown > before

    def reset(self, exercise: Exercise) -> None:
        try:
            backup = self.workspace.reset(exercise)
        except OSError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.results.pop(exercise.name, None)
        if backup is None:
            self.notify(f"{exercise.exercise_rel} already is the shipped version.")
        else:
            self.notify(f"Reset {exercise.exercise_rel}. Your version is kept at "
                        f"{backup.relative_to(self.workspace.root)}.", timeout=8)
        if exercise == self.current:
            self.result = None
            self.request_check()
        self.refresh_view()

    def editor_command(self) -> list[str] | None:
        command = self.options.edit_cmd or os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            return None
        path = str(self.workspace.exercise_path(self.current))
        argv = shlex.split(command)
        if any("{path}" in arg or "{}" in arg for arg in argv):
            return [arg.replace("{path}", path).replace("{}", path) for arg in argv]
        return [*argv, path]

    def open_editor(self) -> None:
        argv = self.editor_command()
        if argv is None:
            self.notify("No editor set: export EDITOR (e.g. EDITOR=vim) or start with "
                        "--edit-cmd 'code -r'.", severity="warning", timeout=8)
            return
        try:
            with self.suspend():
                subprocess.run(argv, check=False)
        except FileNotFoundError:
            self.notify(f"Could not start the editor {argv[0]!r}.", severity="error")
        except Exception as exc:  # no terminal to hand over (e.g. under a test driver)
            self.notify(f"Could not open the editor: {exc}", severity="error")
        self.refresh_view()


def _prewarm_highlighting() -> None:
    try:
        from rich.console import Console
        from rich.syntax import Syntax

        with open(os.devnull, "w") as sink:
            Console(file=sink).print(
                Syntax("x = 1\n", "python", theme="ansi_dark", line_numbers=True))
    except Exception:
        pass  # only an optimisation

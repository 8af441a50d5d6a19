"""pytest for one check, in two halves: what does not need the learner's file, then the rest.

`CheckSession.prepare(check_file)` does the part of `pytest.main` that depends
only on the check: it parses the options, registers the plugins, configures
pytest, starts the session and collects the check (importing it, asserts
rewritten). `enter` and `run_tests` do the rest in the check process: point
the session at the learner's file, the check's scratch folder and this
process's stdout, then run the tests and finish the session the way
`pytest.main` would have.

The warm worker prepares a check before it forks, so each child of it only
loads the learner's file and runs the tests (see `engine.worker.prefork`).
Everywhere else (the one-shot engine, a check the worker does not prepare)
the check process prepares it itself. It is the same code either way, in the
same order, so the result cannot depend on who prepared.

What preparing leaves in the process beyond pytest's own objects is taken
out by `detach` and put back by `enter`: the check's folder on sys.path, the
check module in sys.modules (a worker must not import from a learner's folder,
nor hold a check module that a later check of the same name would collide
with) and pytest's output capture, which holds file descriptors that a forked
child must not share with its siblings. The rest of pytest's process-wide
state (the assertion rewriter on sys.meta_path, pdb's hook, the warning
filters) is what any configured pytest has; `discard` undoes it.

The steps below mirror `_pytest.main.wrap_session`; pytest's own private
pieces are used where there is no public way (`_prepareconfig`,
`_do_configure`, `_ensure_unconfigure`), and tests/engine/test_check_session.py
fails if a pytest release changes what they do.
"""

from __future__ import annotations

import dataclasses
import linecache
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _pytest.config import _prepareconfig

from torchlings.engine.child import plugin

# pytest's own plugins that a check never needs; leaving them out roughly
# halves pytest's start-up.
LEAN = [
    "no:cacheprovider",
    "no:doctest",
    "no:junitxml",
    "no:pastebin",
    "no:stepwise",
    "no:logging",
    "no:faulthandler",
    "no:legacypath",
    "no:setuponly",
    "no:setupplan",
    "no:terminal",
    # It runs several full garbage collections at the end of every session:
    # with torch loaded that costs more than a small check itself. Without it
    # an exception in a __del__ is printed instead of becoming a warning.
    "no:unraisableexception",
]


# pytest expands environment variables in --rootdir: a workspace in a folder
# literally named `$HOME` would become the home folder. Each `$` is passed as
# this variable, which expands to a `$` (expansion does not scan its own output).
DOLLAR_VARIABLE = "TORCHLINGS_DOLLAR"


def _unexpandable(path: str) -> str:
    if "$" not in path:
        return path
    os.environ[DOLLAR_VARIABLE] = "$"
    return path.replace("$", "${" + DOLLAR_VARIABLE + "}")


def pytest_args(check_file: Path) -> list[str]:
    args = [str(check_file), "-c", os.devnull, "--rootdir", _unexpandable(str(check_file.parent)),
            "--noconftest"]
    for name in LEAN:
        args += ["-p", name]
    return args


class CheckSession:
    """One check's pytest session: prepared, then run once in each check process."""

    def __init__(self, check_file: Path) -> None:
        self.check_file = check_file
        self.collector = plugin.Collector(None, check_file)
        self.config: pytest.Config | None = None
        self.session: pytest.Session | None = None
        # How far preparing got: "new", "configured", "started" (the session), "collected".
        self.stage = "new"
        # What stopped preparing, kept for `run_tests` to meet the way pytest.main would.
        self.failure: BaseException | None = None
        self.usage_error: pytest.UsageError | None = None
        self._paths: list[str] = []
        self._modules: dict[str, object] = {}

    # -- the first half: no learner code --------------------------------------

    @classmethod
    def prepare(cls, check_file: Path, extra_plugins: Sequence[object] = ()) -> CheckSession:
        """Set pytest up for `check_file`, collection included; never raises.

        `extra_plugins`: under a grade, the plugin that compiles the check from
        the bytes the runner read (engine/child/pinned.py).

        The session comes back detached: `enter` makes it this process's.
        """
        self = cls(check_file)
        # Checks run with exactly the plugins we load, whatever else is installed.
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        paths_before, modules_before = list(sys.path), set(sys.modules)
        try:
            try:
                self.config = _prepareconfig(pytest_args(check_file),
                                             plugins=[plugin, self.collector, *extra_plugins])
            except pytest.UsageError as exc:
                self.usage_error = exc
                return self
            self.session = pytest.Session.from_config(self.config)
            self.session.exitstatus = pytest.ExitCode.OK
            self.config._do_configure()
            self.stage = "configured"
            self.config.hook.pytest_sessionstart(session=self.session)
            self.stage = "started"
            self.config.hook.pytest_collection(session=self.session)
            self.stage = "collected"
        except BaseException as exc:  # noqa: BLE001 - met again in run_tests, as pytest.main would
            self.failure = exc
        finally:
            self._paths = [p for p in sys.path if p not in paths_before]
            self._modules = {name: sys.modules[name] for name in set(sys.modules) - modules_before
                             if _is_file(getattr(sys.modules[name], "__file__", None), check_file)}
            self._detach()
        return self

    @property
    def clean(self) -> bool:
        """Prepared without a hitch: collected, and nothing went wrong on the way."""
        return (self.stage == "collected" and self.failure is None and self.usage_error is None
                and self.collector.problem is None and self.session is not None
                and self.session.testsfailed == 0)

    def _detach(self) -> None:
        # What only the check process may hold (see the module's doc); `enter` gives it back.
        for path in self._paths:
            while path in sys.path:
                sys.path.remove(path)
        for name in self._modules:
            sys.modules.pop(name, None)
        capture = self._capture()
        if capture is not None:
            capture.stop_global_capturing()

    def discard(self) -> None:
        """End the session without running it (in the worker): undo what configuring did."""
        if self.config is not None:
            self.config._ensure_unconfigure()
        # The next version of the check is read afresh, tracebacks included.
        linecache.cache.pop(str(self.check_file), None)

    # -- the second half, in the check process ---------------------------------

    def enter(self, exercise_file: Path, basetemp: Path | None) -> None:
        """Give the session to this process: its folder, its output, its learner's file."""
        os.environ["PYTEST_VERSION"] = pytest.__version__
        for path in reversed(self._paths):
            if path not in sys.path:
                sys.path.insert(0, path)
        sys.modules.update(self._modules)  # type: ignore[arg-type]
        self.collector.exercise_path = exercise_file
        config = self.config
        if config is None:
            return
        # Where pytest was "invoked": the check's own folder, as for a session started here.
        config.invocation_params = dataclasses.replace(config.invocation_params, dir=Path.cwd())
        config.option.exercise_file = str(exercise_file)
        # tmp_path inside the check's own scratch folder. Without it pytest uses
        # the user's shared /tmp/pytest-of-<user> and, at the end of the session,
        # deletes old runs it finds there: other projects' (and this suite's)
        # folders, slowly enough to use up a check's time on a busy machine.
        # The tmpdir plugin reads the option when pytest is configured, so it
        # is asked again, with this check's folder.
        config.option.basetemp = str(basetemp) if basetemp is not None else None
        tmpdir = config.pluginmanager.getplugin("tmpdir")
        if tmpdir is not None:
            tmpdir.pytest_configure(config)
        capture = self._capture()
        if capture is not None:
            # Captures this process's stdout and stderr, as at pytest's own start.
            capture.start_global_capturing()
            capture.suspend_global_capture()

    def run_tests(self) -> int | pytest.ExitCode:
        """Run the collected tests and finish the session; pytest.main's exit code."""
        if self.usage_error is not None:
            print(f"ERROR: {self.usage_error}", file=sys.stderr)
            return pytest.ExitCode.USAGE_ERROR
        config, session = self.config, self.session
        if config is None or session is None:
            assert self.failure is not None
            raise self.failure  # pytest.main lets it through too
        try:
            try:
                if self.failure is not None:
                    raise self.failure
                config.hook.pytest_runtestloop(session=session)
                if session.testsfailed:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
                elif session.testscollected == 0:
                    session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
            except pytest.UsageError as exc:
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
                print(f"ERROR: {exc}", file=sys.stderr)
            except session.Failed:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            except (KeyboardInterrupt, pytest.exit.Exception) as exc:
                session.exitstatus = pytest.ExitCode.INTERRUPTED
                if isinstance(exc, pytest.exit.Exception):
                    if exc.returncode is not None:
                        session.exitstatus = exc.returncode
                    if self.stage not in ("started", "collected"):
                        sys.stderr.write(f"Exit: {exc.msg}\n")
                config.hook.pytest_keyboard_interrupt(excinfo=pytest.ExceptionInfo.from_exception(exc))
            except BaseException as exc:  # noqa: BLE001 - pytest.main's internal error
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
                try:
                    config.notify_exception(pytest.ExceptionInfo.from_exception(exc), config.option)
                except pytest.exit.Exception as stop:
                    if stop.returncode is not None:
                        session.exitstatus = stop.returncode
                else:
                    if isinstance(exc, SystemExit):
                        sys.stderr.write("mainloop: caught unexpected SystemExit!\n")
        finally:
            if self.stage in ("started", "collected"):
                try:
                    config.hook.pytest_sessionfinish(session=session, exitstatus=session.exitstatus)
                except pytest.exit.Exception as exc:
                    if exc.returncode is not None:
                        session.exitstatus = exc.returncode
            config._ensure_unconfigure()
        return session.exitstatus

    def _capture(self) -> Any:
        if self.config is None:
            return None
        return self.config.pluginmanager.getplugin("capturemanager")


def _is_file(name: object, path: Path) -> bool:
    try:
        return isinstance(name, str) and os.path.samefile(name, path)
    except OSError:
        return False

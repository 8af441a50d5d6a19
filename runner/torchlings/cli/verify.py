"""`torchlings verify`: check many exercises, show them in course order, summarise.

Checks finish in any order (two run at once); results are printed in the
order of the course, each as soon as every one before it is in, so the
counter on the left counts up one at a time. On a terminal a live bar shows
how many are done. Ctrl-C stops, prints what was checked, and says how many.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from torchlings.cli.common import EXIT_OK, EXIT_PENDING, EXIT_USAGE, console, is_dumb_terminal, labelled
from torchlings.course import Exercise
from torchlings.engine import CheckResult, Engine, Status, check_many
from torchlings.learner import junit
from torchlings.learner.report import render_result
from torchlings.learner.update import OLDER_NOTE, is_older
from torchlings.learner.workspace import Workspace
from torchlings.vocabulary import counts_as_done, muted, paint, style_for, symbol_for, word_for


class OrderedPrinter:
    """Prints results in course order as soon as all earlier ones are in."""

    def __init__(self, out: Console, targets: list[Exercise]) -> None:
        self.out = out
        self.targets = targets
        self.next_index = 0
        self.lock = threading.Lock()

    def line(self, position: int, index: int, result: CheckResult) -> Text:
        target = self.targets[index]
        text = Text(f"[{position:>2}/{len(self.targets)}] {target.label} {target.name:<28} ")
        text.append(f"{symbol_for(result.status)} {word_for(result.status)}",
                    style=style_for(result.status))
        text.append(f"  ({result.seconds:.1f} s)", style=muted())
        if result.check_modified:
            text.append("  check file changed", style=paint("yellow"))
        return text

    def flush(self, finished: dict[int, CheckResult]) -> None:
        with self.lock:
            while self.next_index in finished:
                index = self.next_index
                self.out.print(self.line(index + 1, index, finished[index]))
                self.next_index += 1

    def flush_rest(self, finished: dict[int, CheckResult]) -> None:
        """After Ctrl-C: the ones that came in out of order, still in course order."""
        with self.lock:
            for index in sorted(i for i in finished if i >= self.next_index):
                self.out.print(self.line(index + 1, index, finished[index]))
            self.next_index = len(self.targets)


def run_verify(workspace: Workspace, targets: list[Exercise],
               engine_factory: Callable[[], AbstractContextManager[Engine]], *,
               as_json: bool, verbose: bool, junit_path: Path | None) -> int:
    out = console()
    err = console(stderr=True)
    if junit_path is not None:
        try:
            junit.check_writable(junit_path)  # say so now, not after every check has run
        except junit.ReportNotWritten as exc:
            err.print(str(exc))
            return EXIT_USAGE
    if is_older(workspace.root):
        err.print(labelled("note", "yellow", OLDER_NOTE))
    err.print(Text(f"Checking {len(targets)} exercise(s). Starting Python and importing PyTorch "
                   "first: the first result takes a few seconds.", style=muted()))
    jobs = [workspace.job(t) for t in targets]
    finished: dict[int, CheckResult] = {}
    printer = OrderedPrinter(out if not as_json else err, targets)
    live = out.is_terminal and not is_dumb_terminal() and not as_json
    stopping = threading.Event()

    progress = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=out,
                        transient=True, disable=not live)
    task = progress.add_task("verify", total=len(targets))

    def on_result(index: int, result: CheckResult) -> None:
        if stopping.is_set():
            return  # after Ctrl-C: a check cut short says nothing about the exercise
        finished[index] = result
        workspace.record(targets[index], result)
        progress.advance(task)
        if not as_json:
            printer.flush(finished)

    interrupted = False
    began = time.perf_counter()
    with progress:
        engine: Engine
        with engine_factory() as engine:
            try:
                check_many(engine, jobs, on_result=on_result)
            except KeyboardInterrupt:
                interrupted = True
                stopping.set()
    wall_seconds = time.perf_counter() - began
    if interrupted and not as_json:
        printer.flush_rest(finished)

    edited = {e.name for e in workspace.edited_checks()}
    if as_json:
        print(json.dumps(verify_json(targets, finished, edited), indent=2))
    report_error = None
    if junit_path is not None:
        try:
            junit.write(junit_path, targets, finished, workspace.root, edited, wall_seconds)
        except junit.ReportNotWritten as exc:
            report_error = str(exc)
    if not as_json:
        summarise(out, err, workspace, targets, finished, verbose=verbose,
                  interrupted=interrupted, edited=edited)
    if report_error is not None:
        err.print(report_error)
        return EXIT_USAGE if not interrupted else 130
    if interrupted:
        err.print(f"Stopped by Ctrl-C after checking {len(finished)} of {len(targets)} "
                  "exercises; what was checked is recorded.")
        return 130
    ok = all(counts_as_done(r.status) for r in finished.values())
    return EXIT_OK if ok and len(finished) == len(targets) else EXIT_PENDING


def summarise(out: Console, err: Console, workspace: Workspace, targets: list[Exercise],
              finished: dict[int, CheckResult], *, verbose: bool, interrupted: bool,
              edited: set[str]) -> None:
    out.print()
    if verbose:
        for index, target in enumerate(targets):
            result = finished.get(index)
            if result is not None and not counts_as_done(result.status):
                out.print(render_result(target, result, root=workspace.root, verbose=True))
                out.print()
    passed = sum(r.status is Status.PASSED for r in finished.values())
    if interrupted:
        out.print(f"{passed} of the {len(finished)} checked exercises pass "
                  f"({len(targets) - len(finished)} not checked).", style="bold")
    else:
        out.print(f"{passed} of {len(targets)} exercises pass.",
                  style=paint("green", bold=True) if passed == len(targets) else "bold")
    failing = [t for i, t in enumerate(targets)
               if i in finished and not counts_as_done(finished[i].status)]
    if failing and not verbose:
        out.print(f"`torchlings run {failing[0].label}` shows what is wrong with the first that "
                  "fails; `torchlings verify -v` shows them all.", style=muted())
    names = [f"{t.label} {t.name}" for t in targets if t.name in edited]
    if names:
        err.print(labelled("note", "yellow", f"the checks of {', '.join(names)} differ from the "
                           "shipped ones; results for those are not the course's verdict."))


def verify_json(targets: list[Exercise], finished: dict[int, CheckResult],
                edited: set[str]) -> dict[str, Any]:
    rows = []
    for index, target in enumerate(targets):
        result = finished.get(index)
        rows.append({
            "number": target.label,
            "name": target.name,
            "path": str(target.exercise_rel),
            "status": result.status.value if result else "not_run",
            "seconds": round(result.seconds, 3) if result else 0.0,
            "message": result.summary if result else "",
            "checks_modified": (result is not None and result.check_modified)
                               or target.name in edited,
            # What a check plotted (a capstone's return per episode, a loss per step).
            "series": result.series if result else {},
            # A trained agent's greedy episode (a capstone's), as plain numbers; else null.
            "episode": result.episode.to_dict() if result and result.episode else None,
        })
    return {
        "total": len(targets),
        "passed": sum(r["status"] == "passed" for r in rows),
        "exercises": rows,
    }


"""`torchlings grade WORKSPACE...`: a teacher's (or CI's) verdict on learners' workspaces.

The course comes from this installation, never from a workspace; the logic
is in torchlings.grading. This module is the command: options, progress on
a terminal, the reports written whole or not at all, the exit code.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from torchlings.cli.common import (
    EXIT_OK,
    EXIT_PENDING,
    console,
    die,
    engine_for,
    is_dumb_terminal,
    labelled,
    no_warm_option,
)
from torchlings.course import CourseError
from torchlings.grading.session import ExerciseGrade, Grade, LearnerGrade
from torchlings.vocabulary import muted, paint

# The installation changed while learner code ran: no result of this grade can be trusted.
EXIT_UNTRUSTED = 3


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all; a clear message when it cannot."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        die(f"Could not write {path} ({exc.strerror or exc}); nothing was written there. "
            "Choose a folder you can write to, or free some space.")


@click.command()
@click.argument("workspaces", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--junit-xml", "junit_xml", metavar="FILE", type=click.Path(path_type=Path),
              help="Write JUnit XML: one test case per learner and exercise.")
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(path_type=Path),
              help="Write CSV: one row per learner and exercise.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--course", "course_dir", metavar="DIR",
              type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Grade against a course of one's own (a folder with exercises/info.toml) "
                   "instead of the installed course.")
@no_warm_option
def grade(workspaces: tuple[Path, ...], junit_xml: Path | None, csv_path: Path | None,
          as_json: bool, course_dir: Path | None, no_warm: bool) -> None:
    """Grade learners' workspaces with the installed course, or --course DIR (for teachers and CI).

    Only each workspace's exercise files are read; the catalog and the checks
    are this installation's (or DIR's). See docs/GRADING.md.
    """
    from torchlings.grading import reports
    from torchlings.grading.course_source import PinnedCourse
    from torchlings.grading.session import grade as run_grade

    try:
        course = PinnedCourse.load(course_dir)
    except CourseError as exc:
        die(str(exc))
    out, err = console(), console(stderr=True)
    total = len(workspaces) * len(course.course.exercises)
    err.print(Text(f"Grading {len(workspaces)} workspace(s) x {len(course.course.exercises)} "
                   "exercises, two checks at a time.", style=muted()))
    live = err.is_terminal and not is_dumb_terminal()
    progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True, disable=not live)
    task = progress.add_task("grade", total=total)
    lock = threading.Lock()

    def on_result(_learner: LearnerGrade, _exercise: ExerciseGrade) -> None:
        with lock:
            progress.advance(task)

    with progress:
        try:
            result = run_grade(course, list(workspaces), lambda: engine_for(no_warm),
                               on_result=on_result)
        except KeyboardInterrupt:
            err.print("Stopped by Ctrl-C; nothing was written.")
            raise SystemExit(130) from None
    if junit_xml is not None:
        buffer = reports.junit(result)
        from io import BytesIO

        data = BytesIO()
        buffer.write(data, encoding="utf-8", xml_declaration=True)
        write_whole(junit_xml, data.getvalue().decode("utf-8"))
    if csv_path is not None:
        write_whole(csv_path, reports.csv_text(result))
    if as_json:
        print(json.dumps(reports.as_json(result), indent=2))
    else:
        summarise(out, result)
    if result.installation_changed:
        err.print(labelled("error", "red", "torchlings or its course changed on disk while "
                           "learners' code ran: this grade cannot be trusted. Reinstall "
                           "torchlings and grade again, one workspace at a time, to find whose "
                           "code did it."))
        raise SystemExit(EXIT_UNTRUSTED)
    everyone = all(g.passed == len(g.exercises) and not g.suspicious for g in result.learners)
    raise SystemExit(EXIT_OK if everyone else EXIT_PENDING)


def summarise(out: Console, result: Grade) -> None:
    width = max(len(g.learner) for g in result.learners)
    for learner in result.learners:
        line = Text(f"{learner.learner:<{width}}  {learner.passed:>3} of "
                    f"{len(learner.exercises)} pass")
        if learner.suspicious:
            line.append(f"  {learner.suspicious} suspicious", style=paint("yellow", bold=True))
        out.print(line)
        for item in learner.exercises:
            if item.suspicious:
                out.print(Text(f"    {item.exercise.label} {item.exercise.name}: suspicious: "
                               + "; ".join(item.reasons), style=paint("yellow")))

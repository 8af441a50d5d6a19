"""The `torchlings` command. Argument parsing and exit codes; the work is elsewhere.

Exit codes: 0 all good, 1 something pending or failing, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from torchlings import __version__
from torchlings.course import Course, CourseError, Exercise
from torchlings.engine import CheckResult, Engine, Status, check_many, make_engine
from torchlings.report import STATUS_STYLE, render_result
from torchlings.workspace import Workspace

EXIT_OK, EXIT_PENDING, EXIT_USAGE = 0, 1, 2


def console(stderr: bool = False) -> Console:
    # Rich already honours NO_COLOR and writes plain text when not a terminal;
    # there it must not wrap either, or a pipe or a log gets lines cut at 80.
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, soft_wrap=not stream.isatty())


def die(message: str, code: int = EXIT_USAGE) -> NoReturn:
    console(stderr=True).print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    sys.exit(code)


def open_workspace() -> Workspace:
    try:
        workspace = Workspace.open()
    except CourseError as exc:
        die(str(exc))
    shown = 0

    def show_new_warnings() -> None:
        # Loading can warn (a damaged progress file), and so can saving (a
        # read-only folder), which happens later: show each warning once.
        nonlocal shown
        for warning in workspace.warnings[shown:]:
            console(stderr=True).print(f"[yellow]warning:[/] {warning}")
        shown = len(workspace.warnings)

    show_new_warnings()
    click.get_current_context().call_on_close(show_new_warnings)
    return workspace


def resolve(course: Course, key: str) -> Exercise:
    try:
        return course.resolve(key)
    except CourseError as exc:
        die(str(exc))


@contextmanager
def engine_for(no_warm: bool, one_shot: bool = False) -> Iterator[Engine]:
    engine = make_engine(warm=not no_warm, one_shot=one_shot)
    try:
        yield engine
    finally:
        engine.close()


no_warm_option = click.option(
    "--no-warm", is_flag=True, help="Start a fresh Python for every check (slower)."
)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="torchlings")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """torchlings: fix small PyTorch programs, checked every time you save.

    Run `torchlings` in a workspace to start. `torchlings init` makes one.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(watch)  # click fills in the options' defaults


@cli.command()
@click.option("--poll", is_flag=True,
              help="Poll the file for changes instead of relying on file events.")
@click.option("--manual-run", is_flag=True, help="Do not follow saves; press r to check.")
@click.option("--edit-cmd", metavar="COMMAND",
              help="Editor command for the e key (default: $VISUAL or $EDITOR); "
                   "{path} stands for the file, else it is appended.")
@no_warm_option
def watch(poll: bool, manual_run: bool, edit_cmd: str | None, no_warm: bool) -> None:
    """Follow your saves and re-check the current exercise (the default)."""
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        die("watch mode needs a terminal. Use `torchlings run` to check the current "
            "exercise and `torchlings verify` to check them all.")
    workspace = open_workspace()
    # Textual is imported only here, so the other commands start fast.
    from torchlings.tui import TorchlingsApp, WatchOptions

    options = WatchOptions(poll=poll, manual_run=manual_run, edit_cmd=edit_cmd)
    with engine_for(no_warm) as engine:
        TorchlingsApp(workspace, engine, options).run()


@cli.command()
@click.argument("exercise", required=False)
@click.option("-v", "--verbose", is_flag=True, help="Show full tracebacks.")
@no_warm_option
def run(exercise: str | None, verbose: bool, no_warm: bool) -> None:
    """Check one exercise (default: the current one)."""
    workspace = open_workspace()
    target = resolve(workspace.course, exercise) if exercise else workspace.current()
    out = console()
    out.print(f"Checking {target.label} {target.name} ({target.exercise_rel}) ...", style="dim")
    with engine_for(no_warm, one_shot=True) as engine:
        result = engine.check(workspace.job(target))
    workspace.record(target, result)
    out.print(render_result(target, result, root=workspace.root, verbose=verbose))
    if result.status is Status.PASSED:
        following = workspace.next_pending(after=target)
        if exercise is None or workspace.state.current in (None, target.name):
            if following is not None:
                workspace.set_current(following)
        if following is None:
            out.print(f"\n{workspace.course.final}", style="bold green")
        else:
            out.print(f"\nNext: {following.label} {following.name} ({following.exercise_rel})")
        sys.exit(EXIT_OK)
    if target.hints:
        out.print(f"\nStuck? `torchlings hint {target.label}`", style="dim")
    sys.exit(EXIT_OK if result.status is Status.SKIPPED else EXIT_PENDING)


@cli.command()
@click.argument("exercise", required=False)
@click.option("--all", "show_all", is_flag=True, help="Show every hint at once.")
def hint(exercise: str | None, show_all: bool) -> None:
    """Show the next hint you have not seen yet."""
    workspace = open_workspace()
    target = resolve(workspace.course, exercise) if exercise else workspace.current()
    out = console()
    if not target.hints:
        out.print(f"{target.label} {target.name} has no hints.")
        return
    if show_all:
        seen = len(target.hints)
        workspace.state.hints_seen[target.name] = seen
        workspace.save()
    else:
        before = workspace.hints_seen(target)
        seen = workspace.reveal_hint(target)
        if before == seen:
            out.print("That was the last hint; here they all are again.", style="dim")
    out.print(f"Hints for {target.label} {target.name}:", style="bold")
    for index, text in enumerate(target.hints[:seen], start=1):
        out.print(f"{index}. {text}")
    if seen < len(target.hints):
        out.print(f"({len(target.hints) - seen} more: run this again.)", style="dim")


@cli.command()
@click.argument("exercises", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-v", "--verbose", is_flag=True, help="Show every failure in full.")
@no_warm_option
def verify(exercises: tuple[str, ...], as_json: bool, verbose: bool, no_warm: bool) -> None:
    """Check every exercise (or the ones given) and summarise."""
    workspace = open_workspace()
    course = workspace.course
    targets = [resolve(course, key) for key in exercises] if exercises else list(course.exercises)
    out = console()
    err = console(stderr=True)
    jobs = [workspace.job(t) for t in targets]
    finished: dict[int, CheckResult] = {}

    stopping = False

    def progress(index: int, result: CheckResult) -> None:
        if stopping:
            return  # after Ctrl-C: a check cut short says nothing about the exercise
        finished[index] = result
        workspace.record(targets[index], result)
        if not as_json:
            word, style = STATUS_STYLE[result.status]
            out.print(f"[{len(finished):>2}/{len(targets)}] {targets[index].label} "
                      f"{targets[index].name:<28} [{style}]{word}[/]  ({result.seconds:.1f} s)")

    interrupted = False
    with engine_for(no_warm) as engine:
        try:
            check_many(engine, jobs, on_result=progress)
        except KeyboardInterrupt:
            interrupted = stopping = True
    passed = sum(r.status is Status.PASSED for r in finished.values())
    if as_json:
        print(json.dumps(_verify_json(workspace, targets, finished), indent=2))
    else:
        out.print()
        for index, target in enumerate(targets):
            result = finished.get(index)
            if result is not None and result.status not in (Status.PASSED, Status.SKIPPED):
                if verbose:
                    out.print(render_result(target, result, root=workspace.root, verbose=True))
                    out.print()
        out.print(f"{passed} of {len(targets)} exercises pass.",
                  style="bold green" if passed == len(targets) else "bold")
        edited = workspace.edited_checks()
        if edited:
            names = ", ".join(f"{e.label} {e.name}" for e in edited)
            err.print(f"[yellow]note:[/] the checks of {names} differ from the shipped ones; "
                      "results for those are not the course's verdict.")
    if interrupted:
        err.print("Stopped. What was checked before Ctrl-C is recorded.")
        sys.exit(130)
    ok = all(r.status in (Status.PASSED, Status.SKIPPED) for r in finished.values())
    sys.exit(EXIT_OK if ok and len(finished) == len(targets) else EXIT_PENDING)


def _verify_json(workspace: Workspace, targets: list[Exercise],
                 finished: dict[int, CheckResult]) -> dict:
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
        })
    return {
        "total": len(targets),
        "passed": sum(r["status"] == "passed" for r in rows),
        "exercises": rows,
    }


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """List the exercises with their status."""
    workspace = open_workspace()
    current = workspace.current()
    rows = [
        {
            "number": e.label,
            "name": e.name,
            "status": "done" if workspace.is_done(e) else "pending",
            "current": e.name == current.name,
            "path": str(e.exercise_rel),
        }
        for e in workspace.course.exercises
    ]
    if as_json:
        print(json.dumps({"total": len(rows), "done": workspace.done_count,
                          "exercises": rows}, indent=2))
        return
    out = console()
    for row in rows:
        mark = "→" if row["current"] else " "
        style = "green" if row["status"] == "done" else "yellow"
        out.print(f"{mark} {row['number']} {row['name']:<30} [{style}]{row['status']:<8}[/] "
                  f"{row['path']}")
    out.print(f"\n{workspace.done_count} of {len(rows)} done.")


@cli.command()
@click.argument("exercise")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(exercise: str, yes: bool) -> None:
    """Put back the shipped version of an exercise (your file is backed up)."""
    workspace = open_workspace()
    target = resolve(workspace.course, exercise)
    if not yes:
        if not sys.stdin.isatty():
            die("reset replaces your file; confirm with --yes when not at a terminal.")
        click.confirm(f"Replace {target.exercise_rel} with the shipped version?", abort=True)
    try:
        backup = workspace.reset(target)
    except OSError as exc:
        die(str(exc), EXIT_PENDING)
    out = console()
    if backup is None:
        out.print(f"{target.exercise_rel} is the shipped version.")
    else:
        out.print(f"Reset {target.exercise_rel}. Your version is kept at "
                  f"{backup.relative_to(workspace.root)}.")


@cli.command()
@click.argument("exercise")
@click.option("--force", is_flag=True, help="Show it even if you have not solved it yet.")
def solution(exercise: str, force: bool) -> None:
    """Print the reference solution of an exercise you have solved."""
    workspace = open_workspace()
    target = resolve(workspace.course, exercise)
    if not workspace.is_done(target) and not force:
        die(f"{target.label} {target.name} is not solved yet. Try `torchlings hint "
            f"{target.label}` first, or use --force to see the solution anyway.", EXIT_PENDING)
    text = workspace.solution_text(target)
    if text is None:
        die("The solution could not be found in this installation.", EXIT_PENDING)
    if not workspace.is_done(target):
        console(stderr=True).print("[yellow]You have not solved this one yet: "
                                   "reading the answer teaches less than finding it.[/]")
    click.echo(text, nl=False)


@cli.command()
@click.argument("directory", required=False, default="torchlings",
                type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write a fresh workspace (default: ./torchlings)."""
    from torchlings.init import InitError, write_workspace

    try:
        write_workspace(directory)
    except InitError as exc:
        die(str(exc))
    out = console()
    out.print(f"Made a torchlings workspace in {directory}.")
    out.print(f"Next: cd {directory} && torchlings")


@cli.group()
def dev() -> None:
    """Tools for course authors."""


@dev.command(name="check")
@click.argument("exercises", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@no_warm_option
def dev_check(exercises: tuple[str, ...], as_json: bool, no_warm: bool) -> None:
    """Prove exercises fail, solutions pass, and known variants are judged right."""
    from torchlings.devcheck import ExerciseReport, run_dev_check

    try:
        from torchlings.course import find_root, load_course

        course = load_course(find_root())
    except CourseError as exc:
        die(str(exc))
    targets = [resolve(course, key) for key in exercises] if exercises else list(course.exercises)
    out = console()

    def show(report: ExerciseReport) -> None:
        if as_json:
            return
        info = report.to_json()
        mark = "[green]sound[/]" if report.sound else "[red]PROBLEM[/]"
        if report.skipped and report.sound:
            mark = "[cyan]skipped[/]"
        out.print(
            f"{report.exercise.label} {report.exercise.name:<28} {mark}  "
            f"wrong {info['wrong_variants']['rejected']}/{info['wrong_variants']['total']} "
            f"rejected, right {info['right_variants']['accepted']}/"
            f"{info['right_variants']['total']} accepted"
        )
        if report.skipped:
            out.print(f"    not checked here: {report.skipped}", style="cyan")
        for problem in report.problems:
            out.print(f"    - {problem}", style="red", markup=False)

    with engine_for(no_warm) as engine:
        reports, course_problems = run_dev_check(course, engine, targets, on_exercise=show)
    bad = [r for r in reports if not r.sound]
    if as_json:
        print(json.dumps({"exercises": [r.to_json() for r in reports],
                          "problems": course_problems, "sound": not bad and not course_problems},
                         indent=2))
    else:
        for problem in course_problems:
            out.print(f"- {problem}", style="red", markup=False)
        skipped = sum(bool(r.skipped) for r in reports)
        out.print(f"\n{len(reports) - len(bad)} of {len(reports)} exercises sound"
                  + (f" ({skipped} skipped here)" if skipped else "")
                  + (f"; {len(course_problems)} course problem(s)" if course_problems else "")
                  + ".")
    sys.exit(EXIT_PENDING if bad or course_problems else EXIT_OK)


def main() -> None:
    # A broken pipe (`torchlings list | head`) is not an error worth a traceback.
    try:
        cli.main(prog_name="torchlings")
    except BrokenPipeError:
        os._exit(0)


"""The `torchlings` command. Argument parsing and exit codes; the work is elsewhere.

Exit codes: 0 all good, 1 something pending or failing, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from torchlings import __version__
from torchlings.cli.common import (
    EXIT_OK,
    EXIT_PENDING,
    CourseGroup,
    console,
    die,
    engine_for,
    is_dumb_terminal,
    labelled,
    no_warm_option,
    open_workspace,
    resolve,
)
from torchlings.cli.dev import dev
from torchlings.cli.grade import grade
from torchlings.course import load_course
from torchlings.engine import Status, check_many, check_one
from torchlings.learner.progress import RecheckCourse, Stay
from torchlings.learner.report import display_path, render_result
from torchlings.learner.state import STATE_DIR
from torchlings.vocabulary import muted, paint, style_for, symbol_for


def watch_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--poll", is_flag=True,
                     help="Poll the file for changes instead of relying on file events."),
        click.option("--manual-run", is_flag=True, help="Do not follow saves; press r to check."),
        click.option("--edit-cmd", metavar="COMMAND",
                     help="Editor command for the e key (default: $VISUAL or $EDITOR); "
                          "{path} stands for the file, else it is appended."),
        no_warm_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(cls=CourseGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="torchlings")
@watch_options
@click.pass_context
def cli(ctx: click.Context, poll: bool, manual_run: bool, edit_cmd: str | None,
        no_warm: bool) -> None:
    """torchlings: fix small PyTorch programs, checked every time you save.

    Run `torchlings` in a workspace to start (`torchlings init` makes one): the
    watch screen shows the current exercise and checks it again each time you
    save the file. The options below are the watch screen's.

    \b
    Keys in the watch screen:
      h  the next hint          n  next exercise (once it passes)
      r  check again            l  list the exercises
      c  check them all         x  reset the exercise (asks first)
      e  open in your editor    q  quit
      H  hide the hints         ?  the welcome text and every key
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(watch, poll=poll, manual_run=manual_run, edit_cmd=edit_cmd, no_warm=no_warm)
    elif poll or manual_run or edit_cmd or no_warm:
        raise click.UsageError(
            "--poll, --manual-run, --edit-cmd and --no-warm before a command are the watch "
            f"screen's options; write them after the command: `torchlings "
            f"{ctx.invoked_subcommand} --help` lists what it takes."
        )


@cli.command(name="help")
@click.argument("command", nargs=-1)
@click.pass_context
def help_(ctx: click.Context, command: tuple[str, ...]) -> None:
    """Show this help, or one command's: `torchlings help verify`."""
    parent = ctx.parent or ctx
    target: click.Command = cli
    context = parent
    for name in command:
        found = target.get_command(context, name) if isinstance(target, click.Group) else None
        if found is None:
            die(f"There is no command {' '.join(command)!r}. `torchlings help` lists them.")
        target = found
        context = click.Context(found, info_name=name, parent=context)
    click.echo(target.get_help(context))


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def plain_reason() -> str:
    """Why the full-screen watch cannot run here ("" when it can)."""
    if is_dumb_terminal():
        return f"TERM={os.environ.get('TERM')} (a terminal without cursor control)"
    if not sys.stdout.isatty():
        return "the output is not a terminal"
    if not stdin_is_terminal():
        return "the input is not a terminal"
    return ""


@cli.command()
@watch_options
@click.pass_context
def watch(ctx: click.Context, poll: bool, manual_run: bool, edit_cmd: str | None,
          no_warm: bool) -> None:
    """Follow your saves and re-check the current exercise (what `torchlings` alone does)."""
    reason = plain_reason()
    if reason:
        console(stderr=True).print(labelled(
            "note", "yellow",
            f"{reason}, so the full-screen watch cannot run. Checking the current exercise "
            "once instead: run `torchlings run` after each save, or `torchlings verify` to "
            "check them all."))
        ctx.invoke(run, exercise=None, verbose=False, no_warm=no_warm)
        return
    workspace = open_workspace()
    # Textual is imported only here, so the other commands start fast.
    from torchlings.tui import TorchlingsApp, WatchOptions

    options = WatchOptions(poll=poll, manual_run=manual_run, edit_cmd=edit_cmd)
    with engine_for(no_warm) as engine:
        app = TorchlingsApp(workspace, engine, options)
        summary = app.run()
    if summary:  # the last verdict stays on the terminal after q
        click.echo(summary)
    stopped_by = getattr(app, "stopped_by_signal", None)
    if stopped_by is not None:  # SIGTERM/SIGHUP: leave saying so
        sys.exit(128 + int(stopped_by))


@cli.command()
@click.argument("exercise", required=False)
@click.option("-v", "--verbose", is_flag=True, help="Show full tracebacks.")
@no_warm_option
def run(exercise: str | None, verbose: bool, no_warm: bool) -> None:
    """Check one exercise once (default: the current one); exit 0 when it passes."""
    workspace = open_workspace()
    target = resolve(workspace.course, exercise) if exercise else workspace.current()
    out = console()
    out.print(f"Checking {target.label} {target.name} ({display_path(workspace.exercise_path(target))})"
              " ...", style=muted())
    with engine_for(no_warm, one_shot=True) as engine:
        result = check_one(engine, workspace.job(target))
    progress = workspace.record(target, result)  # the policy: torchlings.learner.workspace
    out.print(render_result(target, result, root=workspace.root, verbose=verbose))
    if result.status is Status.PASSED:
        out.print(f"\nCompare with the reference solution: `torchlings solution {target.label}`",
                  style=muted())
    final = None
    if isinstance(progress.step, RecheckCourse):
        out.print("\nNothing else is pending: checking every exercise once more ...", style=muted())
        with engine_for(no_warm) as engine:  # many checks: the warm engine
            jobs = [workspace.job(e) for e in workspace.course.exercises]
            final = workspace.final_recheck(check_many(engine, jobs))
        if final.complete:
            out.print(f"\n{workspace.course.final}", style="bold green")
        else:
            names = ", ".join(f"{e.label} {e.name}" for e in final.failing)
            out.print(f"\nStill to do: {names}", style="bold")
    if not isinstance(progress.step, Stay):
        # `run` moves on at once (there is no n key): where to, the workspace decides.
        following = workspace.go(final if final is not None else progress)
        if following is not None:
            out.print(f"\nNext: {following.label} {following.name} "
                      f"({display_path(workspace.exercise_path(following))})")
        sys.exit(EXIT_OK)
    if target.hints:
        out.print(f"\nStuck? `torchlings hint {target.label}`", style=muted())
    sys.exit(EXIT_PENDING)


@cli.command()
@click.argument("exercise", required=False)
@click.option("--all", "show_all", is_flag=True, help="Show every hint at once.")
def hint(exercise: str | None, show_all: bool) -> None:
    """Show the next hint you have not seen yet (default: for the current exercise)."""
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
            out.print("That was the last hint; here they all are again.", style=muted())
    out.print(f"Hints for {target.label} {target.name}:", style="bold")
    for index, text in enumerate(target.hints[:seen], start=1):
        out.print(Text(f"{index}. {text}"))  # a Text: `x[mask]` is code, not markup
    if seen < len(target.hints):
        out.print(f"({len(target.hints) - seen} more: run this again.)", style=muted())


@cli.command()
@click.argument("exercises", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--junit-xml", "junit_xml", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JUnit XML, for a CI system.")
@click.option("-v", "--verbose", is_flag=True, help="Show every failure in full.")
@no_warm_option
def verify(exercises: tuple[str, ...], as_json: bool, junit_xml: Path | None, verbose: bool,
           no_warm: bool) -> None:
    """Check every exercise (or the ones given) and summarise; exit 1 if any fails."""
    from torchlings.cli.verify import run_verify

    workspace = open_workspace()
    course = workspace.course
    targets = [resolve(course, key) for key in exercises] if exercises else list(course.exercises)
    code = run_verify(workspace, targets, lambda: engine_for(no_warm), as_json=as_json,
                      verbose=verbose, junit_path=junit_xml)
    sys.exit(code)


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """List the exercises with their status; the current one is marked."""
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
    for exercise, row in zip(workspace.course.exercises, rows, strict=True):
        status = str(row["status"])
        line = Text(f"{'→' if row['current'] else ' '} {row['number']} {row['name']:<30} ")
        line.append(f"{symbol_for(status)} {status:<8}", style=style_for(status, bold=False))
        line.append(f" {display_path(workspace.exercise_path(exercise), workspace.root)}")
        out.print(line)
    out.print(f"\n{workspace.done_count} of {len(rows)} done.")


@cli.command()
@click.argument("exercise", required=False)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--check", "check_only", is_flag=True,
              help="Only put back the exercise's check, if it is missing; your file stays.")
def reset(exercise: str | None, yes: bool, check_only: bool) -> None:
    """Put back the shipped version of an exercise (default: the current one); your file is
    backed up first."""
    workspace = open_workspace()
    target = resolve(workspace.course, exercise) if exercise else workspace.current()
    out = console()
    if check_only or not workspace.course.check_path(target).exists():
        try:
            restored = workspace.restore_check(target)
        except OSError as exc:
            die(str(exc), EXIT_PENDING)
        check = display_path(workspace.course.check_path(target), workspace.root)
        out.print(f"Put back the missing check {check}." if restored else f"{check} is there.")
        if check_only:
            return
    path = display_path(workspace.exercise_path(target), workspace.root)
    backups = display_path(workspace.root / STATE_DIR / "backups", workspace.root)
    was_done = workspace.is_done(target)
    existed = workspace.exercise_path(target).exists()
    if not yes:
        if not stdin_is_terminal():
            die("reset replaces your file; confirm with --yes when not at a terminal.")
        which = "" if exercise else f"the current exercise, {target.label} {target.name}: "
        out.print(f"Reset puts the shipped version of {which}{path} back. Your version is "
                  f"copied to {backups}/ first.")
        if was_done:
            out.print(f"{target.label} {target.name} is solved; after the reset it counts as "
                      "pending until you solve it again.", style="bold")
        click.confirm("Reset it?", abort=True)
    try:
        backup = workspace.reset(target)
    except OSError as exc:
        die(str(exc), EXIT_PENDING)
    if backup is None:
        out.print(f"Brought back {path}." if not existed else f"{path} is the shipped version.")
    else:
        out.print(f"Reset {path}. Your version is kept at {display_path(backup, workspace.root)}.")
    if was_done and not workspace.is_done(target):
        out.print(f"{target.label} {target.name} is pending again.")


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
        console(stderr=True).print("You have not solved this one yet: reading the answer "
                                   "teaches less than finding it.", style=paint("yellow"))
    click.echo(text, nl=False)


@cli.command()
@click.argument("directory", required=False, default="torchlings",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--course", "course_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Make it from a course of one's own (a folder with exercises/info.toml), "
                   "not the installed course.")
def init(directory: Path, course_dir: Path | None) -> None:
    """Write a fresh workspace, without solutions (default: ./torchlings)."""
    from torchlings.learner.make_workspace import InitError, write_workspace

    try:
        write_workspace(directory, course_dir)
    except InitError as exc:
        die(str(exc))
    out = console()
    out.print(f"Made a torchlings workspace in {directory}.")
    out.print(f"Next: cd {directory} && torchlings")


@cli.command()
def update() -> None:
    """After upgrading torchlings: add the new exercises and bring the checks up to date;
    your exercise files are never overwritten."""
    from torchlings.learner import update as updating

    workspace = open_workspace()
    root = workspace.root
    if (root / ".git").exists():
        die("This workspace is a git clone of the course: `git pull` brings it up to date.")
    try:
        report = updating.update(root)
    except OSError as exc:
        die(str(exc), EXIT_PENDING)
    out = console()
    if report.nothing_to_do:
        out.print("Your workspace already has the installed course.")
        return
    for rel in report.added:
        out.print(f"added     {display_path(root / rel)}")
    for rel in report.replaced:
        out.print(f"updated   {display_path(root / rel)}")
    if report.backups is not None:
        out.print(f"The files they replaced are kept in {display_path(report.backups)}/.",
                  style=muted())
    course = load_course(root)
    if report.changed_exercises:
        out.print("\nThe course changed these exercises since your workspace was made. Your "
                  "files are as you left them; to take the new version (yours is backed up "
                  "first):", style="bold")
        for rel in report.changed_exercises:
            exercise = next((e for e in course.exercises if e.exercise_rel.as_posix() == rel),
                            None)
            key = exercise.label if exercise is not None else Path(rel).stem
            name = exercise.name if exercise is not None else ""
            out.print(f"  torchlings reset {key}   ({name}, {display_path(root / rel)})")
    if report.unknown_origin:
        out.print("\nThis workspace has no record of the course it was made from (an older "
                  "torchlings made it), so exercises the course changed cannot be told apart "
                  "from your own edits; none was touched.", style=muted())
    out.print("\n`torchlings verify` checks everything again with the new checks.")


cli.add_command(dev)
cli.add_command(grade)


def main() -> None:
    # A broken pipe (`torchlings list | head`) is not an error worth a traceback.
    try:
        cli.main(prog_name="torchlings")
    except BrokenPipeError:
        os._exit(0)


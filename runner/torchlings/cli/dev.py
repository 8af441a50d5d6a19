"""`torchlings dev`: the commands for course authors (check, mutate)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from torchlings.cli.common import (
    EXIT_OK,
    EXIT_PENDING,
    CourseGroup,
    console,
    die,
    engine_for,
    no_warm_option,
    resolve,
)
from torchlings.course import Course, CourseError, Exercise, find_root, load_course
from torchlings.engine import Status
from torchlings.vocabulary import paint, style_for

if TYPE_CHECKING:
    from torchlings.authoring.dev_check import ExerciseReport


@click.group(cls=CourseGroup)
def dev() -> None:
    """Tools for course authors."""


def _course_and_targets(exercises: tuple[str, ...]) -> tuple[Course, list[Exercise]]:
    """The course of the folder we stand in, and the exercises named (all when none are)."""
    try:
        course = load_course(find_root())
    except CourseError as exc:
        die(str(exc))
    return course, ([resolve(course, key) for key in exercises] if exercises
                    else list(course.exercises))


@dev.command(name="check")
@click.argument("exercises", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--show", is_flag=True,
              help="Print, per variant, what it stands for and the first failure a learner reads.")
@no_warm_option
def dev_check(exercises: tuple[str, ...], as_json: bool, show: bool, no_warm: bool) -> None:
    """Prove exercises fail, solutions pass, and known variants are judged right."""
    from torchlings.authoring.dev_check import run_dev_check
    from torchlings.authoring.says import learner_reads

    course, targets = _course_and_targets(exercises)
    out = console()

    def show_variants(report: ExerciseReport) -> None:
        for verdict in report.variants:
            variant, result = verdict.variant, verdict.result
            status = result.status.value if result is not None else "not run"
            says = ""
            if variant.says:
                says = f"  says '{variant.says}' " + ("yes" if verdict.says_it else "NO")
            head = Text(f"    {variant.kind}: {variant.label}  [{status}]{says}",
                        style=paint("green") if verdict.ok else paint("red", bold=True))
            out.print(head)
            if variant.kind == "wrong" and result is not None:
                for text_line in learner_reads(result).splitlines():
                    out.print(Text(f"        {text_line}"))

    def report_line(report: ExerciseReport) -> None:
        if as_json:
            return
        info = report.to_json()
        if report.skipped and report.sound:
            mark = Text("skipped", style=style_for(Status.SKIPPED))
        elif report.sound:
            mark = Text("sound", style=paint("green", bold=True))
        else:
            mark = Text("PROBLEM", style=paint("red", bold=True))
        line = Text(f"{report.exercise.label} {report.exercise.name:<28} ")
        line.append(mark)
        line.append(f"  wrong {info['wrong_variants']['rejected']}/{info['wrong_variants']['total']} "
                    f"rejected, right {info['right_variants']['accepted']}/"
                    f"{info['right_variants']['total']} accepted")
        out.print(line)
        if report.skipped:
            out.print(f"    not checked here: {report.skipped}", style=paint("cyan"))
        for problem in report.problems:
            out.print(f"    - {problem}", style=paint("red"))
        if show:
            show_variants(report)

    with engine_for(no_warm) as engine:
        reports, course_problems = run_dev_check(course, engine, targets, on_exercise=report_line)
    bad = [r for r in reports if not r.sound]
    if as_json:
        print(json.dumps({"exercises": [r.to_json() for r in reports],
                          "problems": course_problems, "sound": not bad and not course_problems},
                         indent=2))
    else:
        for problem in course_problems:
            out.print(f"- {problem}", style=paint("red"))
        _warn_unproven(out, reports)
        skipped = sum(bool(r.skipped) for r in reports)
        out.print(f"\n{len(reports) - len(bad)} of {len(reports)} exercises sound"
                  + (f" ({skipped} skipped here)" if skipped else "")
                  + (f"; {len(course_problems)} course problem(s)" if course_problems else "")
                  + ".")
    sys.exit(EXIT_PENDING if bad or course_problems else EXIT_OK)


def _warn_unproven(out: Console, reports: list[ExerciseReport]) -> None:
    """Warnings, not failures: wrong variants without `says`, checks outside the harness."""
    missing = [(r.exercise, label) for r in reports for label in r.missing_says]
    if missing:
        names = sorted({f"{e.label} {e.name}" for e, _ in missing})
        out.print(f"\nwarning: {len(missing)} wrong variant(s) in {len(names)} exercise(s) have no "
                  "`says` (what the learner must read is not proven): " + ", ".join(names),
                  style=paint("yellow"), markup=False, highlight=False)
    unharnessed = [f"{r.exercise.label} {r.exercise.name}" for r in reports if r.unharnessed]
    if unharnessed:
        out.print(f"warning: {len(unharnessed)} exercise(s) whose check does not go through the "
                  "contract harness (testkit.harness): " + ", ".join(unharnessed),
                  style=paint("yellow"), markup=False, highlight=False)


@dev.command(name="mutate")
@click.argument("exercises", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--show-equivalent", is_flag=True, help="Also list the mutants declared equivalent.")
@no_warm_option
def dev_mutate(exercises: tuple[str, ...], as_json: bool, show_equivalent: bool, no_warm: bool) -> None:
    """Run small mistakes (mutants of each solution) through the checks; list those that pass."""
    from torchlings.authoring.mutate import MutationReport, run_mutation

    course, targets = _course_and_targets(exercises)
    out = console()

    def show(report: MutationReport) -> None:
        if as_json:
            return
        name = f"{report.exercise.label} {report.exercise.name:<28}"
        if report.skipped:
            out.print(f"{name} skipped: {report.skipped}", markup=False, highlight=False)
            return
        total = len(report.verdicts)
        equivalent = len(report.equivalents)
        out.print(
            f"{name} killed {report.killed}/{total}"
            + (f", {equivalent} equivalent" if equivalent else "")
            + (f", {len(report.survivors)} SURVIVED" if report.survivors else ""),
            markup=False, highlight=False,
        )
        for verdict in report.survivors:
            out.print(f"    survivor {verdict.mutant.key}: {verdict.mutant.operator}", markup=False)
            out.print(verdict.mutant.diff(report.exercise.exercise_rel.name).rstrip(), markup=False,
                      highlight=False)
        if show_equivalent:
            for verdict in report.equivalents:
                out.print(f"    equivalent {verdict.mutant.key}: {verdict.equivalent}", markup=False)
        for problem in report.problems:
            out.print(f"    - {problem}", style="red", markup=False)

    with engine_for(no_warm) as engine:
        reports = run_mutation(course, engine, targets, on_exercise=show)
    total = sum(len(r.verdicts) for r in reports)
    killed = sum(r.killed for r in reports)
    equivalent = sum(len(r.equivalents) for r in reports)
    survivors = sum(len(r.survivors) for r in reports)
    unclean = [r for r in reports if not r.clean]
    if as_json:
        print(json.dumps({"exercises": [r.to_json() for r in reports], "mutants": total, "killed": killed,
                          "equivalent": equivalent, "survivors": survivors, "clean": not unclean},
                         indent=2))
    else:
        rate = killed / max(1, total - equivalent)
        out.print(f"\n{killed} of {total} mutants killed ({equivalent} declared equivalent): "
                  f"kill rate {rate:.1%} of the non-equivalent; {survivors} survivor(s).",
                  markup=False, highlight=False)
    sys.exit(EXIT_PENDING if unclean else EXIT_OK)


@dev.command(name="new")
@click.argument("name", required=False)
@click.option("--dir", "chapter", metavar="NN_chapter",
              help="The chapter folder of the new exercise (e.g. 10_mine); made if it is new.")
@click.option("--course", "course_dir", metavar="DIR", type=click.Path(path_type=Path),
              help="Make a new course in DIR (new or empty) instead of one exercise.")
def dev_new(name: str | None, chapter: str | None, course_dir: Path | None) -> None:
    """Write a new exercise (NAME --dir NN_chapter), or a new course (--course DIR), ready to edit."""
    from torchlings.authoring.scaffold import ScaffoldError, new_course, new_exercise

    out = console()
    try:
        if course_dir is not None:
            if name or chapter:
                die("--course makes a whole course with one example exercise; give it alone "
                    "(then `torchlings dev new NAME --dir NN_chapter` inside the course).")
            written = new_course(course_dir)
            follow = (f"Next: cd {course_dir} && torchlings dev check, then edit the example "
                      f"or add one with `torchlings dev new NAME --dir 01_start` (docs/AUTHORING.md in "
                      "the torchlings repository walks through it).")
        else:
            if not name or not chapter:
                die("Give the exercise a name and its chapter folder: "
                    "torchlings dev new NAME --dir NN_chapter (e.g. torchlings dev new my_first "
                    "--dir 10_mine).")
            written = new_exercise(name, chapter)
            follow = (f"Next: torchlings dev check {name} (it passes as written), then make each "
                      "file your own; docs/AUTHORING.md in the torchlings repository walks "
                      "through it.")
    except ScaffoldError as exc:
        die(str(exc))
    out.print(f"Wrote, in {written.root}:", markup=False, highlight=False)
    for rel in written.files:
        out.print(f"  {rel}", markup=False, highlight=False)
    out.print(follow, markup=False, highlight=False)

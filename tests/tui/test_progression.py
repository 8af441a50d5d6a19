"""The CLI (`torchlings run`) and the watch screen go through the same progression
sequence and must agree at every step: the one policy in workspace.py decides both.

pass, fail after a pass, pass, timeout after a pass, skipped (needs CUDA), and the
last exercise with its final re-check (complete, or not: then go to what fails)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from tui_helpers import FakeEngine, errored, failed, passed, wait_for

from torchlings.cli.commands import cli
from torchlings.engine import CheckResult, Status
from torchlings.learner.progress import Stay
from torchlings.learner.workspace import Workspace
from torchlings.tui import TorchlingsApp, WatchOptions
from torchlings.tui.screens.check_all import CheckAllScreen
from torchlings.tui.screens.watch import WatchScreen


def skipped() -> CheckResult:
    return CheckResult(Status.SKIPPED, summary="skipped: needs CUDA, which is not available here",
                       skip_reason="needs CUDA, which is not available here")


@dataclass(frozen=True)
class Seen:
    """What the learner can tell after one check."""

    done: frozenset[str]
    may_move_on: bool
    next: str | None  # where "next" goes
    final_check: bool  # every exercise was checked once more
    complete: bool  # the course was declared complete


# (exercise checked, its verdict, verdicts of the final re-check if one runs)
SEQUENCE = [
    ("first", passed, None),
    ("first", failed, None),  # a failure after a pass undoes "done"
    ("first", passed, None),
    ("second", passed, None),
    ("second", lambda: errored(Status.TIMEOUT), None),  # so does a timeout
    ("second", lambda: errored(Status.CRASHED), None),  # and a crash
    ("second", passed, None),
    ("third", skipped, {"first": passed, "second": passed, "third": skipped}),
    ("third", lambda: errored(Status.ERROR), None),
]

LAST_FAILS = [  # the last one passes, but the final re-check finds an earlier one broken
    ("first", passed, None),
    ("second", passed, None),
    ("third", passed, {"first": passed, "second": failed, "third": passed}),
]


def run_cli(root, monkeypatch, sequence) -> list[tuple[Seen, str]]:
    monkeypatch.setenv("TORCHLINGS_WORKSPACE", str(root))
    engine = FakeEngine()
    monkeypatch.setattr("torchlings.cli.common.make_engine", lambda *args, **kwargs: engine)
    seen = []
    for name, verdict, final in sequence:
        engine.verdicts = {name: verdict()}
        if final:
            engine.verdicts = {n: v() for n, v in final.items()}
        calls = len(engine.calls)
        result = CliRunner().invoke(cli, ["run", name], catch_exceptions=False)
        state = json.loads((root / ".torchlings" / "state.json").read_text())
        following = None
        for line in result.output.splitlines():
            if line.startswith("Next: "):
                following = line.split()[2]
        seen.append((Seen(
            done=frozenset(state["done"]),
            may_move_on=result.exit_code == 0,
            next=following,
            final_check=len(engine.calls) - calls > 1,
            complete="Every exercise passes. Well done." in result.output,
        ), state["current"] if final else ""))
    return seen


async def run_tui(root, sequence) -> list[tuple[Seen, str]]:
    workspace = Workspace.open(root)
    engine = FakeEngine()
    engine.verdicts = {"first": sequence[0][1]()}
    app = TorchlingsApp(workspace, engine, WatchOptions(manual_run=True))
    seen = []
    async with app.run_test(size=(100, 30)) as pilot:
        for step, (name, verdict, final) in enumerate(sequence):
            engine.verdicts = {name: verdict()}
            if final:
                engine.verdicts = {n: v() for n, v in final.items()}
            calls = len(engine.calls) if step > 0 else 0
            if step > 0:  # the first check runs at start-up
                if app.current.name != name:
                    app.switch_to(workspace.course.by_name(name))
                else:
                    await pilot.press("r")
            await wait_for(pilot, lambda c=calls: len(engine.calls) > c and not app.checking
                           and not app.queued and app.result is not None)
            progress = app.progress  # what this verdict meant, before anything moves on
            final_ran = isinstance(app.screen, CheckAllScreen)
            complete, current = False, ""
            if final_ran:
                await wait_for(pilot, lambda: app.screen.finished)
                course = app.check_all_run.course
                complete = course is not None and course.complete
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, WatchScreen))
                current = workspace.state.current
            seen.append((Seen(
                done=frozenset(workspace.state.done),
                may_move_on=progress is not None and not isinstance(progress.step, Stay),
                next=progress.next.name if progress is not None and progress.next else None,
                final_check=final_ran,
                complete=complete,
            ), current))
    return seen


@pytest.mark.parametrize("sequence", [SEQUENCE, LAST_FAILS], ids=["sequence", "last-fails"])
async def test_cli_and_tui_agree_on_every_step(workspace, tmp_path, monkeypatch, sequence):
    import shutil

    cli_root = tmp_path / "cli-ws"
    shutil.copytree(workspace.root, cli_root)
    tui_seen = await run_tui(workspace.root, sequence)
    cli_seen = run_cli(cli_root, monkeypatch, sequence)
    for step, (by_cli, by_tui) in enumerate(zip(cli_seen, tui_seen, strict=True)):
        assert by_cli == by_tui, f"step {step} {sequence[step][0]}: cli {by_cli} tui {by_tui}"


async def test_the_sequence_means_what_the_policy_says(workspace):
    seen = [s for s, _ in await run_tui(workspace.root, SEQUENCE)]
    assert [sorted(s.done) for s in seen] == [
        ["first"], [], ["first"], ["first", "second"], ["first"], ["first"],
        ["first", "second"], ["first", "second"], ["first", "second"]]
    assert [s.may_move_on for s in seen] == [True, False, True, True, False, False, True,
                                             True, False]
    assert [s.next for s in seen] == ["second", None, "second", "third", None, None, "third",
                                      None, None]
    assert [s.final_check for s in seen] == [False] * 7 + [True, False]
    assert seen[7].complete  # passed, passed, skipped here: the course is complete


async def test_a_final_recheck_that_fails_lands_both_on_the_broken_one(workspace):
    seen = await run_tui(workspace.root, LAST_FAILS)
    last, current = seen[-1]
    assert last.final_check and not last.complete
    assert current == "second"

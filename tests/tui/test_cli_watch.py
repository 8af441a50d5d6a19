"""`torchlings watch` (and bare `torchlings`) outside a terminal: say so, check once, print."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from torchlings.cli.commands import cli


@pytest.mark.parametrize("args", [["watch"], [], ["watch", "--poll"], ["watch", "--manual-run"]])
def test_without_a_terminal_watch_checks_once(workspace, monkeypatch, args):
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(cli, [*args, "--no-warm"] if args else ["--no-warm"])
    assert "the output is not a terminal, so the full-screen watch cannot run" in result.output
    assert "torchlings run" in result.output and "torchlings verify" in result.output
    # ... and then it does what `torchlings run` does: the current exercise's verdict.
    assert "Checking 01 first" in result.output
    assert result.output.count("01 first  ") == 1


def test_watch_options_are_documented():
    result = CliRunner().invoke(cli, ["watch", "--help"])
    assert result.exit_code == 0
    for option in ("--poll", "--manual-run", "--edit-cmd", "--no-warm"):
        assert option in result.output

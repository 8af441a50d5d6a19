"""`torchlings watch` (and bare `torchlings`) outside a terminal: a clear message, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from torchlings.cli import cli


@pytest.mark.parametrize("args", [["watch"], [], ["watch", "--poll"], ["watch", "--manual-run"]])
def test_watch_needs_a_terminal(workspace, monkeypatch, args):
    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "watch mode needs a terminal" in result.output
    assert "torchlings run" in result.output and "torchlings verify" in result.output


def test_watch_options_are_documented():
    result = CliRunner().invoke(cli, ["watch", "--help"])
    assert result.exit_code == 0
    for option in ("--poll", "--manual-run", "--edit-cmd", "--no-warm"):
        assert option in result.output

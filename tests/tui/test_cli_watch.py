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


@pytest.mark.parametrize("term", ["dumb", "unknown"])
def test_a_dumb_terminal_gets_plain_advice_not_the_full_screen_app(workspace, monkeypatch,
                                                                   term):
    monkeypatch.chdir(workspace.root)
    monkeypatch.setattr("torchlings.tui.terminal.streams_are_terminals", lambda: True)
    monkeypatch.setenv("TERM", term)
    started = []
    monkeypatch.setattr("torchlings.tui.app.TorchlingsApp.run", lambda self: started.append(1))
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 2 and not started
    assert f"TERM={term}" in result.output and "torchlings run" in result.output


def test_a_real_terminal_is_supported(monkeypatch):
    from torchlings.tui import supported

    monkeypatch.setattr("torchlings.tui.terminal.streams_are_terminals", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert supported()
    monkeypatch.setattr("torchlings.tui.terminal.streams_are_terminals", lambda: False)
    assert not supported()


def test_the_summary_is_printed_after_the_app_quits(workspace, monkeypatch):
    monkeypatch.chdir(workspace.root)
    monkeypatch.setattr("torchlings.tui.terminal.streams_are_terminals", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("torchlings.tui.app.TorchlingsApp.run",
                        lambda self: "torchlings: done — 01 first passes")
    monkeypatch.setattr("torchlings.cli.make_engine", lambda warm=True: _NoEngine())
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0
    assert result.output.strip() == "torchlings: done — 01 first passes"


class _NoEngine:
    def close(self) -> None:
        pass

"""The verdict table: one row per Status, and every surface reads its words from it."""

from __future__ import annotations

from torchlings.engine import Status
from torchlings.vocabulary import (
    HEADLINES,
    VERDICTS,
    counts_as_done,
    headline_style,
    style_for,
    word_for,
)


def test_every_status_has_one_row():
    assert set(VERDICTS) == set(Status)
    assert {v.headline for v in VERDICTS.values()} <= set(HEADLINES)


def test_the_statuses_that_count_as_done_are_passed_and_skipped():
    assert {s for s in Status if counts_as_done(s)} == {Status.PASSED, Status.SKIPPED}
    assert {s for s in Status if VERDICTS[s].marks_done} == {Status.PASSED}


def test_no_verdict_both_counts_and_undoes_and_a_fault_of_ours_undoes_nothing():
    for status, verdict in VERDICTS.items():
        assert not (verdict.counts_as_done and verdict.undoes_done), status
    assert not VERDICTS[Status.FAULT].undoes_done
    assert VERDICTS[Status.CRASHED].undoes_done  # the learner's code killed the process


def test_failing_looks_the_same_on_the_status_line_and_in_verify(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert headline_style("failing") == style_for(Status.FAILED) == "bold red"
    assert headline_style("done") == style_for(Status.PASSED)
    assert word_for(Status.TIMEOUT) == "timeout"

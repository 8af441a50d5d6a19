"""The runner's reading of the witness: only authenticated, gapless lines count."""

from __future__ import annotations

import hashlib
import hmac
import io

from torchlings.engine import CheckResult, Status
from torchlings.engine.host import evidence
from torchlings.engine.host.outcome import OUTPUT_LIMIT, OutputSink
from torchlings.engine.protocol import GUARD_MARK

KEY = "k" * 64


def line(number: int, kind: str, payload: str, key: str = KEY) -> str:
    body = f"{number} {kind} {payload.encode().hex()}"
    mac = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return GUARD_MARK.decode() + body + " " + mac


def test_a_confirmed_pass_stays_a_pass() -> None:
    data = b'{"result": 1}'
    lines = [line(0, "hello", "x"), line(1, "verdict", hashlib.sha256(data).hexdigest() + ";;0;0")]
    result = evidence.judge(CheckResult(Status.PASSED), evidence.read(lines, KEY), data)
    assert result.status is Status.PASSED and result.suspicions == []


def test_a_pass_without_the_verdict_or_with_another_file_is_not_confirmed() -> None:
    data = b'{"result": 1}'
    alone = evidence.judge(CheckResult(Status.PASSED), evidence.read([line(0, "hello", "x")], KEY),
                           data)
    assert alone.status is Status.ERROR and "ended before" in alone.summary
    other = [line(0, "hello", "x"), line(1, "verdict", "0" * 64 + ";;0;0")]
    swapped = evidence.judge(CheckResult(Status.PASSED), evidence.read(other, KEY), data)
    assert "not the one the runner's code wrote" in swapped.summary


def test_forged_or_missing_lines_break_the_testimony() -> None:
    forged = evidence.read([line(0, "hello", "x"), line(1, "verdict", "a;;0;0", key="guess")], KEY)
    assert forged.broken and forged.verdict is None
    gap = evidence.read([line(0, "hello", "x"), line(2, "flag", "y")], KEY)
    assert gap.broken == "lines of the witness went missing"
    assert evidence.read([], KEY).broken.startswith("the witness never spoke")


def test_a_fatal_line_ends_as_an_error_with_its_reason() -> None:
    lines = [line(0, "hello", "x"), line(1, "fatal", "sys._getframe (reading frames)")]
    result = evidence.judge(CheckResult(Status.CRASHED), evidence.read(lines, KEY), None)
    assert result.status is Status.ERROR
    assert result.suspicions == ["sys._getframe (reading frames)"]


def test_witness_lines_past_the_output_limit_are_kept_and_taken_out() -> None:
    flood = b"y" * (OUTPUT_LIMIT * 2)
    wanted = line(0, "hello", "x").encode()
    sink = OutputSink(io.BufferedReader(io.BytesIO(b"start\n" + flood + b"\n" + wanted + b"\n")))
    text, dropped = sink.text()
    own, lines = evidence.split_output(text)
    assert lines == [wanted.decode()] and dropped > 0
    assert GUARD_MARK.decode() not in own and own.startswith("start")

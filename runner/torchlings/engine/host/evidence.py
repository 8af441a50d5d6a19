"""The runner's side of the grade's witness: read its lines, and accept a pass only with them.

The witness (engine/child/guard.py) writes numbered lines, each with an
HMAC under a key only the runner and the witness hold, to the check's
output. Here they are taken out of that output and checked:

- every line that claims to be the witness's must carry a valid HMAC, and
  the numbers must run from 0 without a gap (a line learner code printed,
  swallowed or garbled is evidence of tampering);
- a "fatal" line says why the witness ended the check: the result becomes
  a failure with that reason;
- "flag" lines make the exercise suspicious;
- a pass counts only with a "verdict" line whose SHA-256 is that of the
  result file the runner read, and which found nothing of the judge
  replaced, no new torch.Tensor subclass and no torch mode left on.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from torchlings.engine.protocol import GUARD_MARK
from torchlings.engine.result import CheckResult, Status, TestOutcome

_MARK_TEXT = GUARD_MARK.decode("ascii")


def split_output(output: str) -> tuple[str, list[str]]:
    """(the check's own output, the witness's lines) from what the pipe carried."""
    if _MARK_TEXT not in output:
        return output, []
    kept: list[str] = []
    marked: list[str] = []
    for line in output.split("\n"):
        (marked if line.startswith(_MARK_TEXT) else kept).append(line)
    return "\n".join(kept).strip("\n") + ("\n" if kept and output.endswith("\n") else ""), marked


@dataclass
class Testimony:
    flags: list[str] = field(default_factory=list)
    fatal: str | None = None
    verdict: str | None = None  # the payload of the verdict line
    broken: str | None = None  # why the lines themselves cannot be trusted


def read(lines: list[str], key: str) -> Testimony:
    testimony = Testimony()
    expected = 0
    for line in lines:
        parts = line[len(_MARK_TEXT):].split(" ")
        if len(parts) != 4:
            testimony.broken = "a line on the witness's channel is not the witness's"
            continue
        number, kind, payload_hex, mac = parts
        body = f"{number} {kind} {payload_hex}".encode("ascii", "replace")
        want = hmac.new(key.encode("ascii"), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, mac):
            testimony.broken = "a line on the witness's channel was not written by the witness"
            continue
        if number != str(expected):
            testimony.broken = "lines of the witness went missing"
        expected = int(number) + 1
        try:
            payload = bytes.fromhex(payload_hex).decode("utf-8", "replace")
        except ValueError:
            testimony.broken = "a witness line does not decode"
            continue
        if kind == "fatal" and testimony.fatal is None:
            testimony.fatal = payload
        elif kind == "flag" and payload not in testimony.flags:
            testimony.flags.append(payload)
        elif kind == "verdict":
            testimony.verdict = payload
    if expected == 0 and testimony.broken is None:
        testimony.broken = "the witness never spoke (it was not installed, or was silenced)"
    return testimony


def _unconfirmed(result: CheckResult, why: str) -> CheckResult:
    message = (f"This pass could not be confirmed: {why}. Under a grade an exercise counts "
               "only when the runner's own code reached the verdict.")
    result.status = Status.ERROR
    result.summary = f"pass not confirmed: {why}"
    result.problem = TestOutcome(name="confirming the verdict", outcome="error",
                                 exc_type="UnconfirmedVerdict", message=message)
    result.suspicions.append(f"its pass could not be confirmed ({why})")
    return result


def judge(result: CheckResult, testimony: Testimony, result_bytes: bytes | None) -> CheckResult:
    """The result as a grade may count it: reasons for suspicion added, a pass confirmed or not."""
    for flag in testimony.flags:
        result.suspicions.append(flag)
    if testimony.fatal is not None:
        reason = testimony.fatal
        message = (f"Your code did something a graded check does not allow ({reason}), "
                   "and the check was stopped there.")
        result.status = Status.ERROR
        result.summary = f"stopped by the grade: {reason}"
        result.problem = TestOutcome(name="running the check", outcome="error",
                                     exc_type="ForbiddenUnderGrade", message=message)
        result.suspicions.append(reason)
        return result
    if testimony.broken is not None:
        result.suspicions.append(testimony.broken)
    if result.status is not Status.PASSED:
        return result
    if testimony.broken is not None:
        return _unconfirmed(result, testimony.broken)
    if testimony.verdict is None:
        return _unconfirmed(result, "the check process ended before the runner's verdict")
    digest, changed, subclasses, modes = (testimony.verdict.split(";") + ["", "", "", ""])[:4]
    actual = hashlib.sha256(result_bytes).hexdigest() if result_bytes is not None else None
    if digest != actual:
        return _unconfirmed(result, "the result file is not the one the runner's code wrote")
    if changed:
        shown = ", ".join(changed.split(",")[:5])
        return _unconfirmed(result, f"the judge's own functions were replaced ({shown})")
    if subclasses not in ("", "0"):
        return _unconfirmed(result, "a torch.Tensor subclass or torch mode was defined while "
                                   "the check ran")
    if modes not in ("", "0"):
        return _unconfirmed(result, "a torch function or dispatch mode was left on")
    return result

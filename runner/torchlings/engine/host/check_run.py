"""What the runner side of one check does, the same for both engines.

A `CheckRun` makes the check's scratch folder (its working directory and the
result file), the request the check process starts from (with a fresh nonce),
and, when asked, the pipe that live series points come through. At the end it
turns what the process left behind into the CheckResult, and removes it all.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from torchlings.engine import limits, regular_file
from torchlings.engine.host import evidence, scratch_cap
from torchlings.engine.host.outcome import finished
from torchlings.engine.host.series import SeriesFollower
from torchlings.engine.jobs import CheckJob, SeriesCallback
from torchlings.engine.problems import check_missing, problem_result
from torchlings.engine.result import CheckResult, Status

SCRATCH_PREFIX = "torchlings-check-"
# Added to the exercise's timeout on the check process's own clock: pytest's
# start-up, and what a check imports the first time (an optimizer pulls in
# torch._dynamo), are not the learner's doing and vary with the machine's load.
CHECK_GRACE = 3.0


class CheckRun:
    def __init__(self, job: CheckJob, allowance: float,
                 on_series: SeriesCallback | None = None) -> None:
        self.job = job
        self.allowance = allowance
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        self.result_file = self.scratch / "result.json"
        workdir = self.scratch / "cwd"
        workdir.mkdir()
        self.nonce = secrets.token_hex(16)
        # The check process's own time limit, counted from the start of the check.
        self.own_limit = job.timeout + CHECK_GRACE
        self.series = SeriesFollower(on_series) if on_series is not None else None
        self.scratch_limit = scratch_cap.scratch_limit_bytes()
        self.scratch_overflowed = False
        self.request: dict[str, Any] = {
            # Absolute, not resolved: the check process runs in a folder of its
            # own, and a symlink loop must reach it as the error it is.
            "check": os.path.abspath(job.check_file),
            "exercise": os.path.abspath(job.exercise_file),
            "result": str(self.result_file),
            "cwd": str(workdir),
            "scratch": str(self.scratch),
            "memory": limits.memory_limit_bytes(),
            "file_limit": limits.file_limit_bytes(),
            "timeout": self.own_limit,
            "nonce": self.nonce,
        }
        # Under a grade: the sources travel in the request, and the witness's key.
        self.witness_key: str | None = None
        if job.sealed is not None:
            self.witness_key = secrets.token_hex(32)
            self.request["sealed"] = job.sealed.request(self.witness_key)

    @property
    def limit(self) -> float:
        """The wall-clock time the runner gives the check process: a backstop.

        The process keeps its own limit, from the moment the check starts;
        this also covers its start-up, and a process whose own clock learner
        code turned off.
        """
        return self.own_limit + self.allowance

    def unreadable(self) -> CheckResult | None:
        """A result for a check that cannot start: its check file is gone, or the
        exercise file cannot even be opened (a symlink loop, a named pipe...)."""
        if not os.path.exists(self.request["check"]):
            return check_missing(self.request["check"], self.request["exercise"])
        try:
            os.close(regular_file.open_regular(self.request["exercise"]))
            return None
        except FileNotFoundError:
            return None  # the check process says so, with what to do next
        except OSError as exc:
            if isinstance(exc, regular_file.NotARegularFile):
                why = f"is {exc.kind}, not a regular file"
            elif exc.errno == errno.ELOOP:
                why = "is a symbolic link that leads back to itself (a loop)"
            else:
                why = f"cannot be read ({exc.strerror or exc})"
            message = (f"Your exercise file {self.job.exercise_file} {why}. Replace it with a "
                       f"real file: `torchlings reset {self.job.exercise_file.stem}` brings back "
                       "the shipped version.")
            return problem_result(Status.ERROR, type(exc).__name__, message,
                                  name="loading your exercise")

    def scratch_over_limit(self) -> bool:
        """Whether the check has filled its folders past the ceiling (then it must be ended)."""
        if scratch_cap.used_bytes(self.scratch, self.scratch_limit) > self.scratch_limit:
            self.scratch_overflowed = True
        return self.scratch_overflowed

    def result(self, *, returncode: int | None, output: str, dropped: int, timed_out: bool,
               seconds: float) -> CheckResult:
        if self.scratch_overflowed:
            message = scratch_cap.over_limit_message(self.scratch_limit)
            overflowed = problem_result(Status.ERROR, "TooMuchTemporary", message,
                                        summary=message.split(", ")[0])
            overflowed.output, overflowed.seconds = output, seconds
            return overflowed
        witness_lines: list[str] = []
        result_bytes = None
        if self.witness_key is not None:
            output, witness_lines = evidence.split_output(output)
            try:
                result_bytes = self.result_file.read_bytes()
            except OSError:
                pass
        result = finished(result_file=self.result_file, nonce=self.nonce, returncode=returncode,
                          output=output, dropped=dropped, timed_out=timed_out,
                          timeout=self.own_limit, allowance=self.allowance, seconds=seconds)
        if self.witness_key is not None:
            if result.status is Status.PASSED and not self._says_passed(result_bytes):
                result_bytes = None  # read twice, and not the same: not confirmed
            # The course's own check was run from its bytes: nothing to compare on disk.
            return evidence.judge(result, evidence.read(witness_lines, self.witness_key),
                                  result_bytes)
        result.check_modified = self.job.check_modified
        return result

    def _says_passed(self, data: bytes | None) -> bool:
        try:
            parsed = json.loads(data or b"")
            return bool(parsed.get("nonce") == self.nonce
                        and parsed["result"]["status"] == Status.PASSED.value)
        except (ValueError, TypeError, KeyError, AttributeError):
            return False

    def close(self) -> None:
        if self.series is not None:
            self.series.finish()
        shutil.rmtree(self.scratch, ignore_errors=True)

"""`verify --junit-xml FILE`: the results as JUnit XML, the format every CI system reads.

One test case per exercise, named by number and name, grouped by chapter. A
failing exercise carries the message the learner would read and the line of
their code it points to; an exercise this machine cannot check (no CUDA GPU)
is skipped with the reason; one not reached before Ctrl-C is skipped too.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from torchlings.course import Exercise
from torchlings.engine import CheckResult, Status

# Characters XML 1.0 cannot hold at all; shown as their control picture instead.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: chr(0x2400 + ord(m.group())), text)


class ReportNotWritten(Exception):
    """The report could not be written; the message says where and why, in words."""


def _why(exc: OSError) -> str:
    reasons = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
               errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EROFS: "the file system is read-only",
               errno.ENOTDIR: "a part of the path is a file, not a folder",
               errno.EEXIST: "a part of the path is a file, not a folder",
               errno.EISDIR: "it is a folder"}
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


def _failed(path: Path, exc: OSError) -> ReportNotWritten:
    return ReportNotWritten(f"The JUnit report could not be written to {path}: {_why(exc)}. "
                            "Nothing was written there; give --junit-xml a path you can write to.")


def check_writable(path: Path) -> None:
    """Fail before any check runs if the report's folder cannot take a file."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _failed(path, exc) from exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write(path: Path, targets: list[Exercise], finished: dict[int, CheckResult], root: Path,
          edited: set[str] | frozenset[str] = frozenset(),
          wall_seconds: float | None = None) -> None:
    """Write the report whole or not at all (a temporary file renamed over `path`).

    Raises ReportNotWritten, with what went wrong in words, instead of leaving
    an empty or cut-off file for the CI system to misread.
    """
    tree = ET.ElementTree(build(targets, finished, root, edited, wall_seconds))
    ET.indent(tree)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(fd, 0o644)  # as a plain open() would have made it, not mkstemp's 0600
            _write_all(fd, buffer.getvalue())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise _failed(path, exc) from exc
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def build(targets: list[Exercise], finished: dict[int, CheckResult], root: Path,
          edited: set[str] | frozenset[str] = frozenset(),
          wall_seconds: float | None = None) -> ET.Element:
    """The suite; its time is `wall_seconds` when given (checks run side by side, so
    the sum of their times overstates the run), else that sum."""
    suite = ET.Element("testsuite", name="torchlings")
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    total_time = 0.0
    for index, target in enumerate(targets):
        result = finished.get(index)
        seconds = result.seconds if result else 0.0
        total_time += seconds
        case = ET.SubElement(suite, "testcase", classname=f"torchlings.{target.dir}",
                             name=f"{target.label} {target.name}", file=str(target.exercise_rel),
                             time=f"{seconds:.3f}")
        counts["tests"] += 1
        if result is None:
            ET.SubElement(case, "skipped", message="not checked (stopped before it ran)")
            counts["skipped"] += 1
        elif result.status is Status.SKIPPED:
            reason = result.skip_reason or "not checked here"
            ET.SubElement(case, "skipped", message=reason)
            counts["skipped"] += 1
        elif result.status is not Status.PASSED:
            message, body = describe(result, root)
            failure = ET.SubElement(case, "failure", message=xml_safe(message),
                                    type=result.status.value)
            failure.text = xml_safe(body)
            counts["failures"] += 1
        if target.name in edited or (result is not None and result.check_modified):
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="checks_modified", value="true")
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", "0")
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", f"{wall_seconds if wall_seconds is not None else total_time:.3f}")
    return suite


def describe(result: CheckResult, root: Path) -> tuple[str, str]:
    """A one-line message, and the body: the whole message and the learner's line."""
    failure = result.first_failure
    if failure is None:
        return result.summary or result.status.value, result.summary
    message = failure.message.strip()
    first = message.splitlines()[0] if message else (result.summary or result.status.value)
    body = [message]
    line = failure.learner_line or failure.check_line
    if line is not None:
        try:
            shown = Path(line.path).resolve().relative_to(root.resolve())
        except (ValueError, OSError):
            shown = Path(line.path)
        body.append(f"\n{shown}:{line.line}: {line.text.strip()}")
    return first, "\n".join(body)

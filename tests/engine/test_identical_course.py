"""Both engines give the same CheckResult for every exercise and solution in the course.

The warm engine forks from a process that already imported torch; the plain
one starts a fresh Python. A learner must never see a different verdict,
message or output depending on which one ran, so this compares them on the
whole catalog (both as shipped and solved). It costs one cold check per file:
the slowest test here, and the one that guards the warm engine's shortcuts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from torchlings.course import load_course
from torchlings.engine import DEFAULT_TIMEOUT, CheckJob, check_many
from torchlings.engine.warm_engine import warm_supported

from .support import comparable

ROOT = Path(__file__).resolve().parents[2]


def _normalised(data: object) -> object:
    # Object addresses and scratch folders differ between any two runs.
    text = repr(data)
    text = re.sub(r"0x[0-9a-fA-F]+", "0x?", text)
    return re.sub(r"torchlings-check-[^/'\"\s]+", "torchlings-check-?", text)


@pytest.mark.skipif(not warm_supported(), reason="no fork on this platform")
def test_whole_course_identical(warm, cold):
    course = load_course(ROOT)
    jobs, labels = [], []
    for exercise in course.exercises:
        for kind, rel in (("exercise", exercise.exercise_rel), ("solution", exercise.solution_rel)):
            jobs.append(CheckJob(ROOT / exercise.check_rel, ROOT / rel,
                                 exercise.timeout or DEFAULT_TIMEOUT,
                                 needs_fresh_process="cuda" in exercise.requires))
            labels.append(f"{exercise.name} ({kind})")
    warm_results = check_many(warm, jobs)
    cold_results = check_many(cold, jobs)
    different = [
        label
        for label, w, c in zip(labels, warm_results, cold_results, strict=True)
        if _normalised(comparable(w)) != _normalised(comparable(c))
    ]
    assert not different, f"the engines disagree on: {', '.join(different)}"
    # And the shipped course behaves: every solution passes on the warm engine.
    unsolved = [label for label, r in zip(labels, warm_results, strict=True)
                if label.endswith("(solution)") and not r.passed]
    assert not unsolved, f"solutions that do not pass: {', '.join(unsolved)}"

"""What `torchlings grade` costs: N workspaces x the whole course, solved, against one `verify`.

    PYTHONPATH=runner python bench/grade.py [--workspaces 30]

Makes N workspaces with every solution in place of its exercise, times
`python -m torchlings grade W1 ... WN --json`, then `python -m torchlings
verify --json` in one such workspace, and prints both, the time per check,
and (when N < 30) the time for 30 scaled from the per-check time. It also
prints how many exercises passed and how many were flagged: with solutions
copied verbatim every one is flagged "is the shipped reference solution",
and a pass that is not confirmed would show as not passed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def solved_workspace(path: Path) -> Path:
    shutil.copytree(ROOT / "exercises", path / "exercises")
    shutil.copytree(ROOT / "solutions", path / "exercises", dirs_exist_ok=True)
    shutil.copytree(ROOT / "checks", path / "checks")
    return path


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    try:
        return seconds, json.loads(done.stdout)
    except ValueError:
        sys.exit(f"{' '.join(command[:4])} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=30)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "runner"))
    from torchlings.engine.host.subprocess_engine import child_environment

    env = child_environment()
    with tempfile.TemporaryDirectory(prefix="torchlings-bench-grade-") as scratch:
        paths = [solved_workspace(Path(scratch) / f"learner{i:02d}")
                 for i in range(args.workspaces)]
        grade_s, graded = timed([sys.executable, "-m", "torchlings", "grade", *map(str, paths),
                                 "--json"], Path(scratch), env)
        verify_s, verified = timed([sys.executable, "-m", "torchlings", "verify", "--json"],
                                   paths[0], env)
    exercises = graded["exercises"]
    checks = exercises * args.workspaces
    passed = sum(learner["passed"] for learner in graded["learners"])
    flagged = sum(learner["suspicious"] for learner in graded["learners"])
    not_passed = sorted({f"{row['number']} {row['name']}: {row['message']}"
                         for learner in graded["learners"] for row in learner["exercises"]
                         if row["status"] != "passed"})
    print(f"grade_s={grade_s:.1f} workspaces={args.workspaces} checks={checks} "
          f"per_check_s={grade_s / checks:.2f} passed={passed} flagged={flagged}")
    print(f"verify_s={verify_s:.1f} checks={exercises} passed={verified['passed']}")
    if args.workspaces < 30:
        print(f"grade_30_s_scaled={grade_s / checks * exercises * 30:.0f} "
              "(from the time per check; one engine start is counted 30/N times)")
    for line in not_passed:
        print(f"not passed under grade: {line}")


if __name__ == "__main__":
    main()

"""What a one-shot command costs, against the floor: one torch import.

    PYTHONPATH=runner python bench/oneshot.py [EXERCISE] [--runs N]

Makes a workspace (`torchlings init`) in a temporary folder, solves EXERCISE
there (default: the first in the catalog), then times N times each (default 7):
- floor: `python -c "import torch"`;
- run: `torchlings run EXERCISE` (exit 0: the solution passes).
Prints the medians and, last, `floor_s=<median> run_s=<median> ratio=<run/floor>`.
The goal is a ratio of at most 1.15. Figures, not a test: on a busy machine
they move a lot; run it a few times.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "runner"))

from torchlings.course import load_course  # noqa: E402
from torchlings.engine.host.subprocess_engine import child_environment  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout.decode()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", nargs="?", help="exercise name (default: the first)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    course = load_course(ROOT)
    exercise = course.by_name(args.exercise) if args.exercise else course.exercises[0]
    env = child_environment()
    env.pop("TORCHLINGS_WORKSPACE", None)
    env.pop("TORCHLINGS_NO_WARM", None)
    with tempfile.TemporaryDirectory(prefix="torchlings-bench-") as scratch:
        workspace = Path(scratch) / "ws"
        cli = [sys.executable, "-m", "torchlings"]
        subprocess.run([*cli, "init", str(workspace)], env=env, check=True, capture_output=True)
        shutil.copyfile(ROOT / exercise.solution_rel, workspace / exercise.exercise_rel)
        floor, run = [], []
        for _ in range(args.runs):  # interleaved, so a busy spell hits both alike
            floor.append(timed([sys.executable, "-c", "import torch"], workspace, env))
            run.append(timed([*cli, "run", exercise.name], workspace, env))
    floor_s, run_s = statistics.median(floor), statistics.median(run)
    print(f"import torch:           {floor_s:.3f} s (median of {args.runs})")
    print(f"torchlings run {exercise.name}: {run_s:.3f} s")
    print(f"floor_s={floor_s:.3f} run_s={run_s:.3f} ratio={run_s / floor_s:.2f}")


if __name__ == "__main__":
    main()

"""How long one check takes, cold versus warm.

    PYTHONPATH=runner python bench/latency.py [EXERCISE] [--runs N]

Checks the solution of one exercise (default: the first in the catalog) N
times (default 15) each way and prints the medians in milliseconds:
- cold: a fresh `python -m pytest -p torchlings.engine.child.plugin --exercise-file
  SOLUTION CHECK`, what running a check costs without the runner;
- warm: WarmEngine.check with the worker already up (what a save costs).
The last line is `cold_ms=<median> warm_ms=<median> ratio=<cold/warm>`.
Figures, not a test: on a busy machine they move a lot; run it a few times.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "runner"))

from torchlings.course import load_course  # noqa: E402
from torchlings.engine import DEFAULT_TIMEOUT, CheckJob  # noqa: E402
from torchlings.engine.host.subprocess_engine import child_environment  # noqa: E402
from torchlings.engine.host.warm_engine import WarmEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", nargs="?", help="exercise name (default: the first)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    course = load_course(ROOT)
    exercise = course.by_name(args.exercise) if args.exercise else course.exercises[0]
    if exercise is None:
        sys.exit(f"no exercise called {args.exercise!r}")
    check = ROOT / exercise.check_rel
    solution = ROOT / exercise.solution_rel
    print(f"exercise: {exercise.name}, {args.runs} runs each way")

    env = child_environment()
    cold, cold_cpu = [], []
    for _ in range(args.runs):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "torchlings.engine.child.plugin",
             "--exercise-file", str(solution), str(check)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        cold.append(time.perf_counter() - began)
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        cold_cpu.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
        if done.returncode != 0:
            sys.exit(f"the cold check failed:\n{done.stdout.decode(errors='replace')}")

    engine = WarmEngine()
    engine.start()
    began = time.perf_counter()
    while not engine.is_ready():
        if time.perf_counter() - began > 120:
            sys.exit("the warm worker did not become ready within 120 s")
        time.sleep(0.01)
    print(f"worker ready after {time.perf_counter() - began:.2f} s")
    job = CheckJob(check, solution, exercise.timeout or DEFAULT_TIMEOUT)
    warm, warm_cpu = [], []
    try:
        for _ in range(args.runs):
            began = time.perf_counter()
            result = engine.check(job)
            warm.append(time.perf_counter() - began)
            warm_cpu.append(engine.last_cpu_seconds)
            if not result.passed:
                sys.exit(f"the warm check did not pass: {result.summary}")
    finally:
        engine.close()

    def ms(values: list[float]) -> str:
        return f"min {min(values) * 1000:.0f} max {max(values) * 1000:.0f}"

    print(f"cold: {ms(cold)}   warm: {ms(warm)}")
    # CPU time barely depends on how busy the machine is; wall time does.
    print(f"cpu medians: cold {statistics.median(cold_cpu) * 1000:.0f} ms, "
          f"warm child {statistics.median(warm_cpu) * 1000:.0f} ms")
    cold_ms = statistics.median(cold) * 1000
    warm_ms = statistics.median(warm) * 1000
    print(f"cold_ms={cold_ms:.0f} warm_ms={warm_ms:.0f} ratio={cold_ms / warm_ms:.1f}")


if __name__ == "__main__":
    main()

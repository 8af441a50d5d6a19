"""How long one check takes: the floor, the warm engine, a cold pytest.

    PYTHONPATH=runner python bench/latency.py [EXERCISE] [--runs N]

Checks the solution of one exercise (default: the first in the catalog) N
times (default 15) each way, the three ways taking turns so that a busy
spell hits them alike, and prints the medians in milliseconds:
- floor: in a process that has torch, pytest and the check imported (as the
  warm worker has), fork a child that loads the learner's file and calls the
  check's test functions with it, and wait for it: what no engine that forks
  can beat (tests that need another fixture than `exercise` are left out);
- warm: WarmEngine.check with the worker already up (what a save costs);
- cold: a fresh `python -m pytest -p torchlings.engine.child.plugin
  --exercise-file SOLUTION CHECK`, what running a check costs without the
  runner (`-c /dev/null`: the project's own pytest settings are for its suite).
The last line is `floor_ms=<median> warm_ms=<median> cold_ms=<median>` and the
ratios warm/floor and cold/warm.
Figures, not a test: on a busy machine they move a lot; run it a few times.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
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


def floor_server(check: Path, solution: Path) -> None:
    """`--floor CHECK SOLUTION`: one floor measurement per line read, in ms, one per line."""
    import importlib.util

    from torchlings.engine.child.loader import load_exercise
    from torchlings.engine.worker import warm_worker

    warm_worker.warm_up()
    warm_worker.warm_up_more()
    spec = importlib.util.spec_from_file_location(f"floor_{check.stem}", check)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [value for name, value in sorted(vars(module).items())
             if name.startswith("test_") and callable(value)
             and list(inspect.signature(value).parameters) == ["exercise"]]
    print(json.dumps({"tests": len(tests)}), flush=True)
    for _line in sys.stdin:
        began = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                learner = load_exercise(solution)
                for test in tests:
                    test(learner)
            except BaseException:  # noqa: BLE001 - a floor that fails is no floor
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        seconds = time.perf_counter() - began
        print(json.dumps({"ms": seconds * 1000, "ok": status == 0}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", nargs="?", help="exercise name (default: the first)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--floor", nargs=2, metavar=("CHECK", "SOLUTION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_server(Path(args.floor[0]), Path(args.floor[1]))
        return

    course = load_course(ROOT)
    exercise = course.by_name(args.exercise) if args.exercise else course.exercises[0]
    if exercise is None:
        sys.exit(f"no exercise called {args.exercise!r}")
    check = ROOT / exercise.check_rel
    solution = ROOT / exercise.solution_rel
    print(f"exercise: {exercise.name}, {args.runs} runs each way")

    env = child_environment()
    floor_process = subprocess.Popen(
        [sys.executable, __file__, "--floor", str(check), str(solution)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
    assert floor_process.stdin is not None and floor_process.stdout is not None
    print(f"floor: {json.loads(floor_process.stdout.readline())['tests']} test functions called")

    engine = WarmEngine()
    engine.start()
    if not engine.wait_ready(120) or not engine.is_ready():
        sys.exit(f"the warm worker did not become ready: {engine.startup_error}")
    job = CheckJob(check, solution, exercise.timeout or DEFAULT_TIMEOUT)
    engine.check(job)  # the first check of an exercise also prepares it
    floor, warm, warm_cpu, cold, cold_cpu = [], [], [], [], []
    try:
        for _ in range(args.runs):
            floor_process.stdin.write("go\n")
            measured = json.loads(floor_process.stdout.readline())
            if not measured["ok"]:
                sys.exit("the floor's child failed: the solution does not pass its own tests")
            floor.append(measured["ms"] / 1000)

            began = time.perf_counter()
            result = engine.check(job)
            warm.append(time.perf_counter() - began)
            warm_cpu.append(engine.last_cpu_seconds)
            if not result.passed:
                sys.exit(f"the warm check did not pass: {result.summary}")

            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-c", os.devnull, "--rootdir", str(ROOT),
                 "-p", "no:cacheprovider", "-p", "torchlings.engine.child.plugin",
                 "--exercise-file", str(solution), str(check)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            cold.append(time.perf_counter() - began)
            now = resource.getrusage(resource.RUSAGE_CHILDREN)
            cold_cpu.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
            if done.returncode != 0:
                sys.exit(f"the cold check failed:\n{done.stdout.decode(errors='replace')}")
    finally:
        engine.close()
        floor_process.stdin.close()
        floor_process.wait()

    def ms(values: list[float]) -> str:
        return f"min {min(values) * 1000:.0f} max {max(values) * 1000:.0f}"

    print(f"floor: {ms(floor)}   warm: {ms(warm)}   cold: {ms(cold)}")
    # CPU time barely depends on how busy the machine is; wall time does.
    print(f"cpu medians: warm child {statistics.median(warm_cpu) * 1000:.0f} ms, "
          f"cold {statistics.median(cold_cpu) * 1000:.0f} ms")
    floor_ms = statistics.median(floor) * 1000
    warm_ms = statistics.median(warm) * 1000
    cold_ms = statistics.median(cold) * 1000
    print(f"floor_ms={floor_ms:.1f} warm_ms={warm_ms:.1f} cold_ms={cold_ms:.0f} "
          f"warm/floor={warm_ms / floor_ms:.2f} cold/warm={cold_ms / warm_ms:.1f}")


if __name__ == "__main__":
    main()

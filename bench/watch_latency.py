"""Time from a save to `done` on the watch screen, as a learner sees it.

Starts `torchlings` in a tmux terminal on a throw-away workspace holding
leaf_gradients (and a second exercise, so passing it is not the course's end),
waits for the engine to be warm, then repeatedly saves a wrong version and the
solution, and measures how long after each solution save the screen's status
line says `done`. After each save it also times one check of the same
solution on a warm engine of its own (what the check itself costs, measured
under the same load), and prints each time, then on its last line
`done_ms=<median save to done> warm_ms=<median warm check> ratio=<done/warm>`.

    PYTHONPATH=runner python bench/watch_latency.py [--saves 7] [--no-warm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))

from torchlings.engine import CheckJob  # noqa: E402
from torchlings.engine.host.warm_engine import WarmEngine  # noqa: E402

CATALOG = '''
format_version = 1
welcome = ""
final = ""

[[exercises]]
name = "leaf_gradients"
dir = "02_autograd"
hints = []

[[exercises]]
name = "second_step"
dir = "02_autograd"
hints = []
'''

SECOND = 'def halve(x):\n    raise NotImplementedError("half of x")\n'
SECOND_CHECK = 'def test_halves(exercise):\n    assert exercise.halve(4.0) == 2.0\n'


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20).stdout


def status_line(session: str) -> str:
    lines = tmux("capture-pane", "-p", "-t", session).splitlines()
    return lines[2].strip() if len(lines) > 2 else ""


def wait_status(session: str, word: str, timeout: float, not_containing: str = "") -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        line = status_line(session)
        if line.startswith(word) and not (not_containing and not_containing in line):
            return time.perf_counter()
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {word!r}; screen:\n"
                     + tmux("capture-pane", "-p", "-t", session))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=7)
    parser.add_argument("--no-warm", action="store_true")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed (apt install tmux)")

    with tempfile.TemporaryDirectory(prefix="torchlings-bench-") as scratch:
        root = Path(scratch) / "ws"
        ex_dir = root / "exercises" / "02_autograd"
        check_dir = root / "checks" / "02_autograd"
        ex_dir.mkdir(parents=True)
        check_dir.mkdir(parents=True)
        (root / "exercises" / "info.toml").write_text(CATALOG)
        shutil.copy(REPO / "exercises/02_autograd/leaf_gradients.py", ex_dir)
        shutil.copy(REPO / "checks/02_autograd/test_leaf_gradients.py", check_dir)
        (ex_dir / "second_step.py").write_text(SECOND)
        (check_dir / "test_second_step.py").write_text(SECOND_CHECK)
        target = ex_dir / "leaf_gradients.py"
        wrong = target.read_text()
        solution = (REPO / "solutions/02_autograd/leaf_gradients.py").read_text()

        session = f"torchlings-bench-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "torchlings", "watch"]
        if args.no_warm:
            command.append("--no-warm")
        env_path = os.environ.get("PYTHONPATH", str(REPO / "runner"))
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "-c", str(root),
             "-e", f"PYTHONPATH={env_path}", *command)
        engine = WarmEngine()
        engine.start()
        solved = Path(scratch) / "solved" / "leaf_gradients.py"
        solved.parent.mkdir()
        solved.write_text(solution)
        job = CheckJob(check_dir / "test_leaf_gradients.py", solved)
        try:
            started = time.perf_counter()
            first = wait_status(session, "failing", 180)
            print(f"first verdict on screen after {first - started:.2f} s (cold start)")
            engine.wait_ready(180)
            engine.check(job)  # the first check of an exercise also prepares it
            times, warm = [], []
            for index in range(args.saves):
                target.write_text(solution + f"\n# save {index}\n")
                saved = time.perf_counter()
                seen = wait_status(session, "done", 60)
                times.append(seen - saved)
                target.write_text(wrong + f"\n# wrong {index}\n")
                wait_status(session, "failing", 60)
                time.sleep(0.3)
                began = time.perf_counter()
                if not engine.check(job).passed:
                    raise SystemExit("the warm check of the solution did not pass")
                warm.append(time.perf_counter() - began)
                print(f"save {index + 1}: done on screen after {1000 * times[-1]:.0f} ms "
                      f"(warm check alone: {1000 * warm[-1]:.0f} ms)")
                time.sleep(0.3)
            print(f"median save -> done: {1000 * statistics.median(times):.0f} ms "
                  f"over {len(times)} saves (min {1000 * min(times):.0f}, "
                  f"max {1000 * max(times):.0f})")
            done_ms, warm_ms = 1000 * statistics.median(times), 1000 * statistics.median(warm)
            print(f"done_ms={done_ms:.0f} warm_ms={warm_ms:.0f} ratio={done_ms / warm_ms:.2f}")
        finally:
            engine.close()
            tmux("kill-session", "-t", session)


if __name__ == "__main__":
    main()

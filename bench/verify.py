"""What `torchlings verify` costs on the whole course, solved.

    PYTHONPATH=runner python bench/verify.py [--no-warm] [--against REF] [--rounds N]

Copies the course into a temporary workspace with every solution over its
exercise, runs `python -m torchlings verify --json` there and prints
`verify_s=<wall> checks_s=<sum of the checks' own time> import_s=<torch import>`,
then the slowest checks that are not capstones (each check should stay under
about half a second on the warm engine; the capstones train agents).

With `--against REF` (a commit, tag or branch) the same is done for that
version of the course and runner, alternating with this one for N rounds, and
the ratios are printed over the exercises both versions have: timings on a
shared machine are noisy, so only figures from one run are compared.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLOW_CHECK_S = 0.5


@dataclass
class Run:
    verify_s: float
    seconds: dict[str, float]  # exercise name -> the check's own time
    passed: int
    total: int


def torch_import_seconds(env: dict[str, str]) -> float:
    code = "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip())


def child_env(source: Path) -> dict[str, str]:
    """The environment a verify of `source`'s runner gets (its own package first)."""
    sys.path.insert(0, str(ROOT / "runner"))
    from torchlings.engine.host.subprocess_engine import child_environment

    env = child_environment()
    env["PYTHONPATH"] = str(source / "runner")
    return env


def capstones(source: Path) -> set[str]:
    catalog = tomllib.loads((source / "exercises" / "info.toml").read_text())
    return {entry["name"] for entry in catalog["exercises"]
            if "capstone" in entry.get("topics", [])}


def verify_once(source: Path, no_warm: bool) -> Run:
    env = child_env(source)
    with tempfile.TemporaryDirectory(prefix="torchlings-bench-") as scratch:
        workspace = Path(scratch) / "course"
        for part in ("exercises", "checks", "solutions"):
            shutil.copytree(source / part, workspace / part)
        shutil.copytree(source / "solutions", workspace / "exercises", dirs_exist_ok=True)
        command = [sys.executable, "-m", "torchlings", "verify", "--json"]
        if no_warm:
            command.append("--no-warm")
        began = time.perf_counter()
        done = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True)
        verify_s = time.perf_counter() - began
    try:
        report = json.loads(done.stdout)
    except ValueError:
        sys.exit(f"verify printed no JSON (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    for row in report["exercises"]:
        if row["status"] != "passed":
            print(f"  {source.name}: {row['name']}: {row['status']} {row['message']}")
    return Run(verify_s, {row["name"]: row["seconds"] for row in report["exercises"]},
               report["passed"], report["total"])


def describe(label: str, run: Run, skip: set[str]) -> None:
    print(f"{label}: {run.passed} of {run.total} pass  verify_s={run.verify_s:.2f} "
          f"checks_s={sum(run.seconds.values()):.2f}")
    ordinary = sorted(((s, n) for n, s in run.seconds.items() if n not in skip), reverse=True)
    over = [f"{n} {s:.2f}" for s, n in ordinary if s > SLOW_CHECK_S]
    print("  slowest checks (capstones aside): "
          + ", ".join(f"{n} {s:.2f}" for s, n in ordinary[:5]))
    print(f"  over {SLOW_CHECK_S} s: {', '.join(over) if over else 'none'}")


def checkout(ref: str, into: Path) -> Path:
    tree = into / "reference"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-warm", action="store_true", help="time the subprocess engine")
    parser.add_argument("--against", metavar="REF", help="also time this commit, alternating")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each version")
    args = parser.parse_args()

    print(f"import_s={torch_import_seconds(child_env(ROOT)):.2f}")
    skip = capstones(ROOT)
    if not args.against:
        for _ in range(args.rounds):
            describe("this version", verify_once(ROOT, args.no_warm), skip)
        return
    with tempfile.TemporaryDirectory(prefix="torchlings-ref-") as scratch:
        reference = checkout(args.against, Path(scratch))
        skip |= capstones(reference)
        ours_total = theirs_total = ours_wall = theirs_wall = 0.0
        for _ in range(args.rounds):
            theirs = verify_once(reference, args.no_warm)
            ours = verify_once(ROOT, args.no_warm)
            describe(args.against, theirs, skip)
            describe("this version", ours, skip)
            common = ours.seconds.keys() & theirs.seconds.keys()
            ours_total += sum(ours.seconds[n] for n in common)
            theirs_total += sum(theirs.seconds[n] for n in common)
            ours_wall += ours.verify_s
            theirs_wall += theirs.verify_s
        print(f"over the {len(common)} exercises both have: checks_s ratio "
              f"{ours_total / theirs_total:.2f} (this version / {args.against}); "
              f"verify wall ratio {ours_wall / theirs_wall:.2f} (whole courses)")


if __name__ == "__main__":
    main()

"""What `torchlings verify` costs on the whole course, solved.

    PYTHONPATH=runner python bench/verify.py [--no-warm]

Copies the course into a temporary workspace with every solution over its
exercise, runs `python -m torchlings verify --json` there and prints
`verify_s=<wall> checks_s=<sum of the checks' own time> import_s=<torch import>`.
With the warm engine the whole run should cost about one torch import plus
the checks' own work (it runs two checks at a time).
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


def torch_import_seconds(env: dict[str, str]) -> float:
    code = "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-warm", action="store_true", help="time the subprocess engine")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "runner"))
    from torchlings.engine.host.subprocess_engine import child_environment

    env = child_environment()
    import_s = torch_import_seconds(env)
    with tempfile.TemporaryDirectory(prefix="torchlings-bench-") as scratch:
        workspace = Path(scratch) / "course"
        for part in ("exercises", "checks", "solutions"):
            shutil.copytree(ROOT / part, workspace / part)
        shutil.copytree(ROOT / "solutions", workspace / "exercises", dirs_exist_ok=True)
        command = [sys.executable, "-m", "torchlings", "verify", "--json"]
        if args.no_warm:
            command.append("--no-warm")
        began = time.perf_counter()
        done = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True)
        verify_s = time.perf_counter() - began
    try:
        report = json.loads(done.stdout)
    except ValueError:
        sys.exit(f"verify printed no JSON (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    rows = report["exercises"]
    checks_s = sum(row["seconds"] for row in rows)
    print(f"{report['passed']} of {report['total']} pass"
          f"{' (subprocess engine)' if args.no_warm else ''}")
    for row in rows:
        if row["status"] != "passed":
            print(f"  {row['name']}: {row['status']} {row['message']}")
    print(f"verify_s={verify_s:.2f} checks_s={checks_s:.2f} import_s={import_s:.2f}")


if __name__ == "__main__":
    main()

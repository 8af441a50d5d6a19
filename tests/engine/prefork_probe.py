"""Run by test_prefork.py in a fresh Python: the worker's pre-fork machinery, looked at from inside.

    python prefork_probe.py FOLDER  -> one JSON object on stdout

FOLDER holds check files (test_*.py) and learner files. For each check the
probe asks a `PreparedCheck` (as the warm worker does) whether it prepares it
and, for each learner file listed in FOLDER/pairs.json, runs the check twice
in forked children: once on the prepared session, once preparing in the
child, and reports both results. It also reports whether the process-wide
state pytest touches is back as it was after the prepared check is dropped.
"""

from __future__ import annotations

import json
import os
import pdb
import sys
import threading
import warnings
from pathlib import Path

from torchlings.engine.child import sandbox
from torchlings.engine.child.run_check import run_check
from torchlings.engine.worker import warm_worker


def process_state() -> dict[str, object]:
    """What preparing a check may change in the worker, as comparable values."""
    return {
        "path": list(sys.path),
        "meta_path": [id(finder) for finder in sys.meta_path],
        "modules": sorted(name for name in sys.modules if name.startswith("test_")),
        "filters": len(warnings.filters),
        "set_trace": id(pdb.set_trace),
        "excepthook": id(threading.excepthook),
        "stdout": [id(sys.stdout), id(sys.stderr)],
        "fds": sorted(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else [],
        "environ": sorted(os.environ),
        "threads": threading.active_count(),
    }


def run_in_child(check: Path, exercise: Path, prepared) -> dict:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            scratch = Path(os.environ["PROBE_SCRATCH"]) / f"child-{os.getpid()}"
            (scratch / "cwd").mkdir(parents=True)
            os.chdir(scratch / "cwd")
            sys.path[0] = str(scratch / "cwd")
            sandbox.apply_limits(sandbox.memory_limit_bytes())
            sandbox.reset_torch_state()
            sandbox.start_deadline(30)
            result = run_check(check, exercise, basetemp=scratch / "pytest-tmp", prepared=prepared)
            data = result.to_dict()
        except BaseException as exc:  # noqa: BLE001 - reported as data
            data = {"probe_error": repr(exc)}
        os.write(write, json.dumps(data).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def main(folder: Path) -> None:
    warm_worker.warm_up()
    warm_worker.warm_up_more()
    from torchlings.engine.worker.prefork import PreparedCheck

    pairs = json.loads((folder / "pairs.json").read_text())
    report: dict[str, object] = {"prepared": {}, "runs": {}, "state_restored": {}}
    prepared = PreparedCheck()
    for check in sorted(folder.glob("test_*.py")):
        before = process_state()
        session = prepared.session_for(str(check))
        report["prepared"][check.name] = session is not None  # type: ignore[index]
        for exercise in pairs.get(check.name, []):
            runs = []
            for use in ((session,) if session is not None else ()) + (None,):
                runs.append(run_in_child(check, folder / exercise, use))
            report["runs"][f"{check.name}:{exercise}"] = runs  # type: ignore[index]
        prepared.drop()
        after = process_state()
        report["state_restored"][check.name] = {  # type: ignore[index]
            key: [before[key], after[key]] for key in before if before[key] != after[key]}
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

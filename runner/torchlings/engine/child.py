"""Entry point of a check subprocess: `python -m torchlings.engine.child CHECK EXERCISE RESULT`.

Runs one check with limits applied and writes its CheckResult as JSON to
RESULT. Then leaves with os._exit, so that threads or atexit handlers started
by learner code cannot keep the process alive after the verdict is in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    from torchlings.engine import sandbox

    check_file, exercise_file, result_file = (Path(a) for a in argv)
    sandbox.prepare_process()
    sandbox.apply_limits(sandbox.memory_limit_bytes())
    sandbox.reset_torch_state()

    from torchlings.engine.outcome import write_result
    from torchlings.engine.runcheck import run_check

    result = run_check(check_file, exercise_file)
    write_result(result_file, result)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])

"""A check's failing `assert a == b` keeps pytest's explanation, on any pytest.

Checks run without pytest's terminal reporter. pytest before 9.1 asked it for
a writer inside every failing comparison and, without one, failed on its own
internal assert, so the learner read "an assertion failed" instead of what
differed (pytest #14377). The check process gives pytest a writer of its own.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from torchlings.engine.host.subprocess_engine import child_environment

# pytest < 9.1's hook, put back over the newer one that guards against it.
OLD_PYTEST = textwrap.dedent("""
    import json, sys
    import _pytest.assertion as assertion

    newer = assertion.pytest_assertrepr_compare

    def pytest_assertrepr_compare(config, op, left, right):
        config.get_terminal_writer()._highlight  # pytest < 9.1 did this unconditionally
        return newer(config, op, left, right)

    assertion.pytest_assertrepr_compare = pytest_assertrepr_compare
    from torchlings.engine.child.run_check import run_check
    result = run_check(sys.argv[1], sys.argv[2])
    print(json.dumps({"status": result.status.name, "message": result.tests[0].message}))
""")

CHECK = """\
def test_sizes(exercise):
    assert exercise.sizes() == [1, 2, 3]
"""


def test_a_failed_comparison_is_explained_without_the_terminal_reporter(tmp_path):
    import json

    check = tmp_path / "check_sizes.py"
    check.write_text(CHECK)
    learner = tmp_path / "sizes.py"
    learner.write_text("def sizes():\n    return [1, 2, 4]\n")
    done = subprocess.run([sys.executable, "-c", OLD_PYTEST, str(check), str(learner)],
                          capture_output=True, text=True, env=child_environment(),
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "FAILED", result
    assert result["message"] != "an assertion failed"
    assert "[1, 2, 4] == [1, 2, 3]" in result["message"], result["message"]

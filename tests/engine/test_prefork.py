"""The warm worker sets pytest up for a check before it forks (prefork, check_session).

What must hold: a check that is edited is read again; learner code is always
fresh, also when the check imports things at module level; torch's global
state is still reset; a check whose import could run code is never imported in
the worker; a check run on a prepared session gives exactly the result of one
prepared in its own process; and dropping a prepared check leaves the worker's
process as it was (a pytest release that changes what its private pieces do
fails here).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch  # noqa: F401 - loaded, as in the warm worker: checks may import it
from torch import nn  # noqa: F401

import torchlings.checkapi.testing  # noqa: F401
from torchlings.engine import CheckJob, Status
from torchlings.engine.child.declarative import is_declarative
from torchlings.engine.host.subprocess_engine import child_environment
from torchlings.engine.host.warm_engine import warm_supported

from .support import LEARNERS, comparable

pytestmark = pytest.mark.skipif(not warm_supported(), reason="no fork on this platform")

ANSWER_CHECK = (
    '"""The answer."""\n\nimport torch\n\nfrom torchlings.checkapi.testing import expect\n\n'
    "EXPECTED = {value}\n\n\n"
    "def test_answer(exercise):\n"
    "    got = exercise.answer()\n"
    "    expect(got == EXPECTED, f'answer() returned {{got!r}}, not {{EXPECTED}}')\n"
)


def _same(data: object) -> str:
    # Object addresses and scratch folders differ between any two runs.
    text = re.sub(r"0x[0-9a-fA-F]+", "0x?", repr(data))
    return re.sub(r"(torchlings-check-|child-)[^/'\"\s]+", r"\1?", text)


def _write(path: Path, text: str, stamp: float | None = None) -> Path:
    path.write_text(text)
    if stamp is not None:
        os.utime(path, (stamp, stamp))  # same size, same mtime: only the bytes differ
    return path


def test_an_edited_check_is_read_again(warm, tmp_path):
    check = tmp_path / "test_answer.py"
    exercise = _write(tmp_path / "answer.py", "def answer():\n    return 42\n")
    stamp = time.time()
    seen = []
    for value in ("42", "41", "42"):  # the same size each time
        _write(check, ANSWER_CHECK.format(value=value), stamp)
        for _ in range(2):  # the first run of a version prepares it, the second uses that
            seen.append(warm.check(CheckJob(check, exercise, 10)).status)
    assert seen == [Status.PASSED] * 2 + [Status.FAILED] * 2 + [Status.PASSED] * 2


def test_learner_code_is_fresh_under_a_prepared_check(warm, tmp_path):
    check = _write(tmp_path / "test_answer.py", ANSWER_CHECK.format(value="42"))
    exercise = tmp_path / "answer.py"
    stamp = time.time()
    seen = []
    for value in ("42", "41", "42", "43"):
        _write(exercise, f"def answer():\n    return {value}\n", stamp)
        seen.append(warm.check(CheckJob(check, exercise, 10)).status)
    assert seen == [Status.PASSED, Status.FAILED, Status.PASSED, Status.FAILED]


def test_a_check_importing_the_learners_module_at_module_level_sees_fresh_code(warm, cold,
                                                                                tmp_path):
    # The check imports the learner's file by name (it sits next to the check):
    # the worker must never import it, or every later child would see it stale.
    check = _write(tmp_path / "test_helper.py",
                   "import helper\n\n\ndef test_value(exercise):\n"
                   "    assert helper.value() == exercise.answer()\n")
    exercise = _write(tmp_path / "answer.py", "def answer():\n    return 42\n")
    helper = tmp_path / "helper.py"
    stamp = time.time()
    for value, status in (("42", Status.PASSED), ("41", Status.FAILED), ("42", Status.PASSED)):
        _write(helper, f"def value():\n    return {value}\n", stamp)
        job = CheckJob(check, exercise, 10)
        on_warm = warm.check(job)
        assert on_warm.status is status, on_warm.summary
        assert _same(comparable(on_warm)) == _same(comparable(cold.check(job)))


def test_global_torch_state_is_reset_for_a_prepared_check(warm, learner):
    # The leaker's own verdict is the grade's business (it leaves the state
    # changed); what matters here is that the next check does not inherit it.
    leaker = CheckJob(LEARNERS / "check_tiny.py", learner("leaker"), 10)
    for _ in range(2):  # the second time round the check is a prepared one
        warm.check(leaker)
        result = warm.check(CheckJob(LEARNERS / "check_tiny.py", learner("torch_state"), 10))
        assert result.status is Status.PASSED, result.first_failure and result.first_failure.message


@pytest.mark.parametrize("source", [
    "import torch\nfrom torchlings.checkapi.testing import expect\nimport math\n",
    'CONCEPT = ("a" "b") + "c"\nSIZES = [(3, 3), (4, 2)]\nTOL = 1e-3\nSCALE = 2 * 3.0\n',
    "import pytest\n\n@pytest.mark.parametrize('x', list((1, 2)))\ndef test_x(exercise, x):\n"
    "    pass\n\n@pytest.fixture(scope='module')\ndef thing():\n    return 1\n",
    "import torch\nfrom typing import NamedTuple\n\nclass Rollout(NamedTuple):\n"
    "    obs: torch.Tensor\n\nclass Net(torch.nn.Module):\n    def forward(self, x):\n"
    "        return x\n",
    "import random\nDRAWS = {'a': (lambda: random.random(), 'seed')}\n",
])
def test_declarations_only_are_declarative(source):
    assert is_declarative(source.encode())


@pytest.mark.parametrize("source", [
    "import torch\nX = torch.randn(3)\n",  # a draw from the generator, tensor work
    "while True:\n    pass\n",
    "import sys\nsys.exit(1)\n",
    "import os\nos.kill(os.getppid(), 9)\n",
    "import helper\n",  # nothing the worker has loaded: could be the learner's file
    "from . import helper\n",
    "pytest_plugins = ['helper']\n",
    "def pytest_generate_tests(metafunc):\n    pass\n",
    "def __getattr__(name):\n    return 1\n",
    "X = 'x' * 10**9\n",
    "X = [0] * 1000000000\n",
    "X = f'{1:>1000000000}'\n",
    "import torch\ntorch.float32 = None\n",
    "import pytest\n\n@pytest.mark.parametrize('x', [1, 2], ids=str)\ndef test_x(x):\n    pass\n",
    "def list(x):\n    return x\n\nY = list(1)\n",  # not the built-in any more
    "class Base:\n    def __init_subclass__(cls):\n        pass\n\nclass Sub(Base):\n    pass\n",
    "class Meta(type):\n    pass\n\nclass Made(metaclass=Meta):\n    pass\n",
    "def broken(:\n",
])
def test_code_that_runs_at_import_is_not_declarative(source):
    assert not is_declarative(source.encode())


# -- from inside: the worker's machinery in a fresh Python (prefork_probe.py) --

PROBE_CHECKS = {
    "test_plain.py": ANSWER_CHECK.format(value="42"),
    "test_output.py": ("def test_prints(exercise, capsys):\n    print('to capsys')\n"
                       "    assert capsys.readouterr().out == 'to capsys\\n'\n\n"
                       "def test_shows(exercise, tmp_path):\n    print('shown', tmp_path.name)\n"
                       "    import os\n    os.write(1, b'from fd 1\\n')\n"
                       "    assert exercise.answer() == 42\n"),
    "test_loops.py": "while True:\n    pass\n\ndef test_answer(exercise):\n    pass\n",
    "test_imports_helper.py": ("import helper\n\n\ndef test_value(exercise):\n"
                               "    assert helper.value() == exercise.answer()\n"),
    "test_broken.py": "import torch\n\ndef test_answer(exercise)\n    pass\n",
}
PROBE_LEARNERS = {
    "good.py": "def answer():\n    return 42\n",
    "wrong.py": "def answer():\n    return 41\n",
    "todo.py": "def answer():\n    raise NotImplementedError('answer me')\n",
    "noisy.py": "print('loading')\n\ndef answer():\n    print('answering')\n    return 42\n",
    "helper.py": "def value():\n    return 42\n",
}
PROBE_PAIRS = {
    "test_plain.py": ["good.py", "wrong.py", "todo.py", "noisy.py"],
    "test_output.py": ["good.py", "wrong.py", "noisy.py"],
    "test_imports_helper.py": ["good.py"],
    "test_broken.py": ["good.py"],
}


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("prefork")
    for name, text in {**PROBE_CHECKS, **PROBE_LEARNERS}.items():
        (folder / name).write_text(text)
    (folder / "pairs.json").write_text(json.dumps(PROBE_PAIRS))
    scratch = tmp_path_factory.mktemp("scratch")
    env = {**child_environment(), "PROBE_SCRATCH": str(scratch)}
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "prefork_probe.py"),
                           str(folder)], capture_output=True, text=True, env=env, timeout=600,
                          cwd=scratch)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_only_checks_that_only_declare_are_prepared(probe):
    assert probe["prepared"] == {
        "test_plain.py": True,
        "test_output.py": True,
        "test_loops.py": False,  # it would never finish loading in the worker
        "test_imports_helper.py": False,  # a module next to the check: maybe the learner's
        "test_broken.py": False,  # a syntax error: its own process says so
    }


def _without_timings(data: dict) -> dict:
    data = dict(data)
    data.pop("seconds", None)
    for test in [*data.get("tests", []), data.get("problem")]:
        if test is not None:
            test.pop("seconds", None)
    return data


def test_prepared_and_unprepared_checks_give_the_same_result(probe):
    for name, runs in probe["runs"].items():
        assert all("probe_error" not in run for run in runs), (name, runs)
        if len(runs) == 2:
            prepared, unprepared = (_same(_without_timings(run)) for run in runs)
            assert prepared == unprepared, name


def test_output_and_tmp_path_still_belong_to_each_test(probe):
    prepared = probe["runs"]["test_output.py:noisy.py"][0]
    assert prepared["status"] == "passed", prepared["summary"]
    shows = next(t for t in prepared["tests"] if t["name"] == "test_shows")
    assert "answering" in shows["output"] and "from fd 1" in shows["output"], shows
    assert "shown test_shows" in shows["output"]
    plain = probe["runs"]["test_plain.py:wrong.py"][0]
    assert plain["status"] == "failed" and "returned 41" in plain["tests"][0]["message"]


def test_dropping_a_prepared_check_leaves_the_worker_as_it_was(probe):
    assert probe["state_restored"] == {name: {} for name in PROBE_CHECKS}


def test_a_tests_sentence_over_two_lines_is_shown_whole(cold, tmp_path):
    # The list of tests shows each test's docstring; a contract's sentence that
    # went on to a second line was cut after the first ("float64, terminations,").
    check = tmp_path / "check_sentence.py"
    check.write_text('def test_answer(exercise):\n'
                     '    """answer() gives 42, for any caller,\n'
                     '    on any day.\n\n    Details the list does not show.\n    """\n'
                     '    assert exercise.answer() == 42\n')
    learner = tmp_path / "answer.py"
    learner.write_text("def answer():\n    return 42\n")
    result = cold.check(CheckJob(check, learner, 10))
    assert result.status is Status.PASSED, result.summary
    assert [t.doc for t in result.tests] == ["answer() gives 42, for any caller, on any day."]

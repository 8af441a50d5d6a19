"""A pass is earned: what learner code can do to look like a pass never counts.

Each test runs on both engines: they share the start-up of a check process and
the way a result is believed, so they must agree.
"""

from __future__ import annotations

import pytest

from torchlings.engine import CheckJob, Status, make_engine

from .support import tiny_job


@pytest.fixture(scope="module", params=["warm", "one_shot"])
def engine(request):
    made = make_engine(one_shot=request.param == "one_shot")
    yield made
    made.close()


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def write(tmp_path, source):
    path = tmp_path / "learner.py"
    path.write_text(source)
    return path


@pytest.mark.parametrize("call", ["pytest.skip('later')", "pytest.xfail('known')"])
def test_skip_or_xfail_from_learner_code_is_a_failure(engine, tmp_path, call):
    path = write(tmp_path, f"import pytest\n\ndef answer():\n    {call}\n")
    result = engine.check(tiny_job(path))
    assert result.status is Status.FAILED
    assert "never counts as done" in result.first_failure.message
    assert result.first_failure.learner_line.line == 4


def test_a_forged_result_file_then_exit_is_not_believed(engine, tmp_path):
    # The learner finds the result file next to its working folder, writes a
    # pass in the runner's own format (without the nonce it cannot know), and
    # leaves with status 0 before the check can write the real one.
    path = write(tmp_path, (
        "import json, os\n\n"
        "def answer():\n"
        "    fake = {'status': 'passed', 'summary': '1 of 1 tests pass', 'tests': [\n"
        "        {'name': 'test_answer', 'outcome': 'passed'}]}\n"
        "    for body in (fake, {'nonce': 'guess', 'result': fake}):\n"
        "        with open(os.path.join('..', 'result.json'), 'w') as handle:\n"
        "            json.dump(body, handle)\n"
        "    os._exit(0)\n"
    ))
    result = engine.check(tiny_job(path))
    assert result.status is Status.CRASHED
    assert "never counts as passing" in result.problem.message


def test_replacing_a_judge_at_import_is_named(engine, tmp_path):
    path = write(tmp_path, (
        "import torch\n"
        "torch.allclose = lambda *args, **kwargs: True\n\n"
        "def answer():\n    return 42\n"
    ))
    result = engine.check(tiny_job(path))
    assert result.status is Status.ERROR
    assert "torch.allclose" in result.problem.message


def test_an_honest_pass_still_passes(engine, tmp_path):
    path = write(tmp_path, "import torch\n\ndef answer():\n    return int(torch.tensor(42))\n")
    result = engine.check(tiny_job(path))
    assert result.status is Status.PASSED, result.summary
    assert result.check_modified is False


def test_deep_recursion_is_reported_as_recursion(engine, tmp_path):
    path = write(tmp_path, (
        "import sys\n\n"
        "def answer():\n"
        "    sys.setrecursionlimit(50000)\n\n"
        "    def down(n):\n"
        "        return down(n + 1) + 1\n\n"
        "    return down(0)\n"
    ))
    result = engine.check(tiny_job(path, timeout=5))
    assert result.status is Status.FAILED, result.summary
    failure = result.first_failure
    assert failure.exc_type == "RecursionError"
    assert failure.learner_line is not None and "down(n + 1)" in failure.learner_line.text


def test_control_characters_reach_no_surface_raw(engine, tmp_path):
    path = write(tmp_path, (
        "print('\\x1b[?1049h\\x1b]0;pwned\\x07 hello\\r\\n')\n\n"
        "def answer():\n"
        "    print('\\x1b[2J in the test')\n"
        "    raise ValueError('\\x1b[31mred\\x9b')\n"
    ))
    result = engine.check(tiny_job(path))
    raw = [text for text in strings(result.to_dict()) if any(c in text for c in "\x1b\x07\x9b\r")]
    assert raw == []
    assert "␛[?1049h" in result.output
    assert "␛[2J in the test" in result.first_failure.output
    assert "␛[31mred" in result.first_failure.message


def test_a_file_larger_than_the_limit_is_named(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHLINGS_FILE_LIMIT", str(1024 * 1024))
    path = write(tmp_path, (
        "def answer():\n"
        "    with open('big.bin', 'wb') as handle:\n"
        "        while True:\n"
        "            handle.write(b'x' * 65536)\n"
    ))
    result = engine.check(tiny_job(path))
    assert result.status is Status.FAILED, result.summary
    assert "larger than 1 MB" in result.first_failure.message


def test_a_symlink_loop_is_an_error_for_that_exercise(engine, tmp_path):
    path = tmp_path / "loop.py"
    path.symlink_to(path)
    result = engine.check(tiny_job(path))
    assert result.status is Status.ERROR
    assert "leads back to itself" in result.problem.message


def test_a_skip_reason_comes_back_as_data(engine, tmp_path):
    # The check skips itself (as testkit's require_cuda does where there is no GPU).
    check = tmp_path / "test_skipping.py"
    check.write_text("import pytest\n\n\ndef test_gpu():\n"
                     "    pytest.skip('needs a CUDA GPU: Skipped: not a prefix')\n")
    exercise = write(tmp_path, "def answer():\n    return 42\n")
    result = engine.check(CheckJob(check, exercise, 10.0))
    assert result.status is Status.SKIPPED, result.summary
    assert result.skip_reason == "needs a CUDA GPU: Skipped: not a prefix"
    assert result.summary == "skipped: needs a CUDA GPU: Skipped: not a prefix"

"""dev mutate: which mutants are made, and what the command says about them."""

import json

from tests.conftest import invoke
from torchlings.authoring.mutants import learner_lines, mutants

EXERCISE = '''"""Doc."""
import torch


def act(q, dim):
    # TODO: the greedy action of each row
    raise NotImplementedError
'''

SOLUTION = '''"""Doc."""
import torch


def act(q, dim):
    with torch.no_grad():
        values = q.detach().softmax(dim=1)  # a comment
    return -values.argmax(1) + 2
'''


def test_only_the_lines_the_learner_writes_are_mutated():
    assert learner_lines(EXERCISE, SOLUTION) == {6, 7, 8}
    assert {m.line for m in mutants(EXERCISE, SOLUTION)} <= {6, 7, 8}


def test_each_kind_of_slip_is_made_once_and_keeps_the_rest_of_the_file():
    made = {m.operator: m for m in mutants(EXERCISE, SOLUTION)}
    expected = {
        "no_grad() → enable_grad()": "    with torch.enable_grad():",
        "drop .detach()": "        values = q.softmax(dim=1)  # a comment",
        "softmax → log_softmax": "        values = q.detach().log_softmax(dim=1)  # a comment",
        "dim 1 → 0 in softmax()": "        values = q.detach().softmax(dim=0)  # a comment",
        "dim 1 → 0 in argmax()": "    return -values.argmax(0) + 2",
        "argmax → argmin": "    return -values.argmin(1) + 2",
        "drop the minus sign": "    return values.argmax(1) + 2",
        "+ → -": "    return -values.argmax(1) - 2",
    }
    for operator, line in expected.items():
        assert operator in made, sorted(made)
        assert made[operator].after.rstrip("\n") == line
        # Everything but the changed line is the solution, byte for byte.
        assert made[operator].source.replace(line, "", 1) == SOLUTION.replace(
            made[operator].before.rstrip("\n"), "", 1)
    keys = [m.key for m in mutants(EXERCISE, SOLUTION)]
    assert len(keys) == len(set(keys))


def test_keys_do_not_depend_on_where_the_line_is():
    moved = SOLUTION.replace('"""Doc."""\n', '"""Doc."""\n\n\n')
    assert {m.key for m in mutants(EXERCISE, SOLUTION)} == {m.key for m in mutants(EXERCISE, moved)}


def _weaken_halve_check(workspace):
    # A check that looks only at the shape lets every wrong value through.
    (workspace / "checks/01_basics/test_halve.py").write_text(
        "def test_halve(exercise):\n"
        "    import torch\n"
        "    assert exercise.halve(torch.ones(2)).shape == (2,)\n"
    )


def test_a_strong_check_kills_every_mutant(workspace):
    result = invoke("dev", "mutate", "halve", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["clean"] and data["survivors"] == 0
    assert data["killed"] == data["mutants"] >= 2


def test_survivors_are_shown_as_diffs_and_fail_the_command(workspace):
    _weaken_halve_check(workspace)
    result = invoke("dev", "mutate", "halve")
    assert result.exit_code == 1
    assert "SURVIVED" in result.output
    assert "-    return t / 2" in result.output and "+    return t * 2" in result.output


def test_declared_equivalents_are_accepted_and_stale_ones_reported(workspace):
    _weaken_halve_check(workspace)
    data = json.loads(invoke("dev", "mutate", "halve", "--json").stdout)
    keys = [s["key"] for s in data["exercises"][0]["survivors"]]
    variants = workspace / "tests/variants/01_basics/halve.toml"
    declarations = "".join(f'\n[[equivalent]]\nmutant = "{k}"\nreason = "for this test"\n' for k in keys)
    variants.write_text(variants.read_text() + declarations)
    result = invoke("dev", "mutate", "halve", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["equivalent"] == len(keys)

    variants.write_text(variants.read_text() + '\n[[equivalent]]\nmutant = "0000000000"\nreason = "gone"\n')
    result = invoke("dev", "mutate", "halve")
    assert result.exit_code == 1 and "no longer made" in result.output

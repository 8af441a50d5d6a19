"""The SAC capstone asks its pieces' contracts once per learner module, and never forgets a failure.

The training test re-asks every piece before it trains (`require_pieces`); the
contracts are the costly part of that, so each piece test runs through
`piece`, and a contract that already passed for the same module is not tried
again. A wrong module must fail on every asking.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from torchlings.checkapi.failures import CheckFailure

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "10_continuous" / "sac_pendulum.py"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def check(monkeypatch):
    """The SAC check, with a count of the contracts it actually tries."""
    module = load(ROOT / "checks" / "10_continuous" / "test_sac_pendulum.py", "_sac_check")
    tried = []
    real = module.check_contract

    def counting(contract):
        tried.append(contract.function)
        real(contract)

    monkeypatch.setattr(module, "check_contract", counting)
    module.tried = tried
    return module


def test_a_passed_contract_is_not_tried_again_for_the_same_module(check):
    exercise = load(SOLUTION, "_sac_solution")
    pieces = [test for name, test in vars(check).items()
              if name.startswith("test_") and name != "test_agent_learns_pendulum"]
    assert len(pieces) == 10
    for test in pieces:  # the piece tests, as pytest runs them
        test(exercise)
    assert len(check.tried) == 5
    check.require_pieces(exercise, check.PIECES)  # the training test's re-ask
    assert len(check.tried) == 5
    check.test_alpha_loss_contract(load(SOLUTION, "_sac_solution_again"))  # another module
    assert check.tried[-1] == "alpha_loss" and len(check.tried) == 6


def test_a_failed_contract_fails_on_every_asking(check, tmp_path):
    wrong = tmp_path / "sac_pendulum.py"
    wrong.write_text(SOLUTION.read_text().replace(
        "next_actions, next_log_pi = actor(next_obs)\n",
        "next_actions, _ = actor(next_obs)\n        _, next_log_pi = actor(next_obs)\n"))
    exercise = load(wrong, "_sac_wrong")
    with pytest.raises(CheckFailure, match="call the actor ONCE"):
        check.test_critic_targets_contract(exercise)
    with pytest.raises(CheckFailure, match="call the actor ONCE"):
        check.require_pieces(exercise, check.PIECES)  # the training test's re-ask
    assert check.tried == ["critic_targets", "squash", "critic_targets"]

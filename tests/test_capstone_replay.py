"""Every capstone asks its trained agent for greedy actions the way the agent's class allows.

A replay that fails is only a note (the check has passed by then), so a
`_greedy` that does not fit the agent would lose every learner's replay
quietly: this asks each capstone's `_greedy` about the solution's own agent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_replay_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trained_agent(solution, name: str):
    """The agent `train` builds, without training it (CartPole: 4 observations, 2 actions)."""
    return {
        "ppo_cartpole": lambda: solution.ActorCritic(4, 2),
        "reinforce_baseline_cartpole": lambda: solution.PolicyAndBaseline(4, 2),
        "dqn_cartpole": lambda: solution.q_network(4, 2),
    }[name]()


@pytest.mark.parametrize("name", ["ppo_cartpole", "reinforce_baseline_cartpole", "dqn_cartpole"])
def test_the_capstone_replays_its_agent_greedily(name):
    check = load(ROOT / "checks" / "09_agents" / f"test_{name}.py")
    solution = load(ROOT / "solutions" / "09_agents" / f"{name}.py")
    assert "greedy=_greedy" in (ROOT / "checks" / "09_agents" / f"test_{name}.py").read_text()
    torch.manual_seed(0)
    agent = trained_agent(solution, name)
    observations = torch.randn(16, 4)
    with torch.no_grad():
        actions = [check._greedy(agent, obs) for obs in observations]
        scores = [agent(obs) if name == "dqn_cartpole" else
                  (agent.actor if name == "ppo_cartpole" else agent.policy)(obs)
                  for obs in observations]
    assert all(type(a) is int for a in actions)
    assert actions == [int(s.argmax()) for s in scores]  # the best action, never a sample

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


def test_the_sac_capstone_replays_its_actor_greedily():
    """The SAC check's `_greedy` gives the actor's noise-free torque, inside Pendulum's bounds."""
    check = load(ROOT / "checks" / "10_continuous" / "test_sac_pendulum.py")
    solution = load(ROOT / "solutions" / "10_continuous" / "sac_pendulum.py")
    import gymnasium as gym

    env = gym.make("Pendulum-v1")
    torch.manual_seed(0)
    actor = solution.Actor(3, env.action_space.low, env.action_space.high)
    observations = torch.randn(16, 3)
    with torch.no_grad():
        actions = [check._greedy(actor, obs) for obs in observations]
        expected = [actor.greedy(obs.unsqueeze(0))[0] for obs in observations]
    for action, want in zip(actions, expected, strict=True):
        assert action.shape == (1,) and torch.equal(action, want)
        assert -2.0 <= float(action) <= 2.0

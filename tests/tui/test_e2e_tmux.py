"""End to end, as a learner: torchlings in a real terminal (tmux) with the real engine.

Saves a wrong file, then the solution, over the current exercise (leaf_gradients),
reads `failing` then `done` from the screen, presses n, sees the next exercise,
and quits with the terminal as it was. A second session passes an agent whose check
records an episode and watches the replay play, end, and play again on p.
CI installs tmux (apt package `tmux`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "runner"

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None,
    reason="tmux is not installed (apt install tmux); the end-to-end watch test needs it",
)

CATALOG = '''
format_version = 1
welcome = "End-to-end test course."
final = "All done."

[[exercises]]
name = "leaf_gradients"
dir = "02_autograd"
hints = ["Look at how x is created.", "requires_grad=True"]

[[exercises]]
name = "second_step"
dir = "02_autograd"
hints = ["Divide by two."]
'''

SECOND = '''"""Halve a number."""


def halve(x: float) -> float:
    # TODO: return half of x
    raise NotImplementedError("return half of x")
'''

SECOND_CHECK = '''"""Check: halving."""


def test_halves(exercise):
    """halve(4.0) is 2.0."""
    assert exercise.halve(4.0) == 2.0, "halve(4.0) should be 2.0"
'''

WRONG = '''"""Leaf gradients, attempted."""

import torch


def cubic_gradient(x_value: float) -> torch.Tensor:
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return x.grad * 2  # wrong on purpose


def linear_gradients(w, x, b):
    w = w.detach().clone().requires_grad_()
    x = x.detach().clone().requires_grad_()
    b = b.detach().clone().requires_grad_()
    y = torch.dot(w, x) + b
    y.backward()
    return w.grad, x.grad, b.grad
'''

WAIT = 180.0  # a cold engine on a loaded 2-core machine can take a while


def make_workspace(root: Path) -> Path:
    exercises = root / "exercises" / "02_autograd"
    checks = root / "checks" / "02_autograd"
    exercises.mkdir(parents=True)
    checks.mkdir(parents=True)
    (root / "exercises" / "info.toml").write_text(CATALOG)
    shutil.copy(REPO / "exercises" / "02_autograd" / "leaf_gradients.py", exercises)
    shutil.copy(REPO / "checks" / "02_autograd" / "test_leaf_gradients.py", checks)
    (exercises / "second_step.py").write_text(SECOND)
    (checks / "test_second_step.py").write_text(SECOND_CHECK)
    return root


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20)
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def lines(self) -> list[str]:
        return self.screen().splitlines()

    def status_line(self) -> str:
        lines = self.lines()
        return lines[2].strip() if len(lines) > 2 else ""

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def flag(self, name: str) -> str:
        return self.run("display-message", "-p", "-t", self.name, f"#{{{name}}}").strip()

    def wait(self, condition, what: str, timeout: float = WAIT) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{self.screen()}")


def save_like_vim(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_learner_session_in_tmux(tmp_path):
    root = make_workspace(tmp_path / "ws")
    target = root / "exercises" / "02_autograd" / "leaf_gradients.py"
    tmux = Tmux(f"torchlings-e2e-{uuid.uuid4().hex[:8]}")
    env = {"PYTHONPATH": str(RUNNER), "TERM": "xterm-256color", "PS1": "PROMPT$ "}
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "100", "-y", "30",
             "-e", f"PYTHONPATH={env['PYTHONPATH']}", "-e", f"PS1={env['PS1']}",
             "bash", "--norc", "--noprofile")
    try:
        tmux.wait(lambda: "PROMPT$" in tmux.screen(), "the shell prompt", 20)
        tmux.keys(f"cd {root} && {sys.executable} -m torchlings; echo EXITED=$?", "Enter")
        # The first screen comes at once, before any check result.
        tmux.wait(lambda: "leaf_gradients" in tmux.screen(), "the watch screen", 30)
        assert tmux.flag("alternate_on") == "1"
        tmux.wait(lambda: tmux.status_line().startswith("failing"), "failing (not done)")
        assert "not done yet" in tmux.status_line()

        save_like_vim(target, WRONG)
        tmux.wait(lambda: tmux.status_line().startswith("failing")
                  and "not done" not in tmux.status_line(), "failing on the wrong save")
        assert "gradient" in tmux.screen()

        target.write_text((REPO / "solutions" / "02_autograd" / "leaf_gradients.py").read_text())
        tmux.wait(lambda: tmux.status_line().startswith("done"), "done after the solution")
        assert "Press n for 02 second_step" in tmux.status_line()

        tmux.keys("n")
        tmux.wait(lambda: "02/02 second_step" in tmux.screen(), "the next exercise")
        tmux.wait(lambda: tmux.status_line().startswith("failing"), "the next one checked")

        tmux.keys("q")
        tmux.wait(lambda: "EXITED=0" in tmux.screen(), "torchlings to quit", 30)
        # The last verdict stays on the terminal, with the file to open next time.
        assert "torchlings: failing" in tmux.screen()
        assert "02/02 second_step: exercises/02_autograd/second_step.py" in tmux.screen()
        assert tmux.flag("alternate_on") == "0"  # back on the normal screen
        assert tmux.flag("cursor_flag") == "1"  # the cursor is visible again
        assert tmux.flag("mouse_any_flag") == "0"  # mouse reporting is off
        assert tmux.flag("keypad_flag") in ("0", "")
    finally:
        tmux.run("kill-session", "-t", tmux.name)


BALANCER_CATALOG = '''
format_version = 1
welcome = "End-to-end test course."
final = "All done."

[[exercises]]
name = "balancer"
dir = "09_agents"
hints = ["Push the way the pole leans."]

[[exercises]]
name = "second_step"
dir = "09_agents"
hints = ["Divide by two."]
'''

BALANCER = '''"""Balance the pole with a rule of thumb."""


def push(obs):
    return 1 if obs[2] + 0.5 * obs[3] > 0 else 0  # toward the way the pole falls
'''

BALANCER_CHECK = '''"""Check: the rule of thumb keeps the pole up; its episode is replayed."""

import gymnasium as gym

from torchlings.checkapi.testing import expect, record_episode


def test_balances(exercise):
    """The pole stays up for 60 steps."""
    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=3)
    observations, actions, rewards = [obs], [], []
    for _ in range(60):
        action = exercise.push(obs)
        obs, reward, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        actions.append(action)
        rewards.append(reward)
        if terminated or truncated:
            break
    expect(len(actions) == 60, f"the pole fell after {len(actions)} steps")
    record_episode("CartPole-v1", observations, actions, rewards)
'''


def test_a_passing_agent_is_replayed_in_tmux(tmp_path):
    root = tmp_path / "ws"
    (root / "exercises" / "09_agents").mkdir(parents=True)
    (root / "checks" / "09_agents").mkdir(parents=True)
    (root / "exercises" / "info.toml").write_text(BALANCER_CATALOG)
    (root / "exercises" / "09_agents" / "balancer.py").write_text(BALANCER)
    (root / "checks" / "09_agents" / "test_balancer.py").write_text(BALANCER_CHECK)
    (root / "exercises" / "09_agents" / "second_step.py").write_text(SECOND)  # so not the last
    (root / "checks" / "09_agents" / "test_second_step.py").write_text(SECOND_CHECK)
    tmux = Tmux(f"torchlings-e2e-{uuid.uuid4().hex[:8]}")
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24",
             "-e", f"PYTHONPATH={RUNNER}", "-e", "PS1=PROMPT$ ", "-e", "NO_COLOR=1",
             "bash", "--norc", "--noprofile")
    try:
        tmux.wait(lambda: "PROMPT$" in tmux.screen(), "the shell prompt", 20)
        tmux.keys(f"cd {root} && {sys.executable} -m torchlings; echo EXITED=$?", "Enter")
        tmux.wait(lambda: tmux.status_line().startswith("done"), "done")
        # It plays once to its last frame (60 steps at CartPole's 50 a second) ...
        tmux.wait(lambda: "step 60/60 (end)  return 60" in tmux.screen(), "the replay's end", 30)
        screen = tmux.screen()
        assert "your agent plays (greedy): p replays" in screen and "▐█████▌" in screen
        assert "still up" in screen and "p replay agent" in screen
        # ... and p plays it again from the start.
        tmux.keys("p")
        tmux.wait(lambda: "(end)" not in tmux.screen(), "the replay to start over", 10)
        tmux.wait(lambda: "step 60/60 (end)" in tmux.screen(), "the replay's end again", 30)
        tmux.keys("q")
        tmux.wait(lambda: "EXITED=0" in tmux.screen(), "torchlings to quit", 30)
    finally:
        tmux.run("kill-session", "-t", tmux.name)

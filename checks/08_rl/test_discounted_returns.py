"""Check: discounted returns computed backwards, reset at episode ends."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "G_t = r_t + gamma * (1 - done_t) * G_{t+1}, computed from the last step backwards, "
    "with G = 0 after the last step. done_t = 1 means the episode ended AT step t, so "
    "G_t is just r_t there and nothing from the next episode leaks in."
)


def _reference(rewards, dones, gamma):
    out, running = [], 0.0
    for r, d in zip(reversed(rewards.tolist()), reversed(dones.tolist()), strict=True):
        running = r + gamma * (1.0 - d) * running
        out.append(running)
    return torch.tensor(out[::-1], dtype=torch.float64)


def _next_step_flags(dones):
    """CleanRL's layout of the same episode ends: a flag on the FIRST step of the next one."""
    shifted = torch.ones_like(dones)
    shifted[:-1] = dones[1:]
    return shifted


def _run(exercise, rewards, dones, gamma, name, dtype=torch.float32):
    rewards_before, dones_before = rewards.clone(), dones.clone()
    returns = exercise.discounted_returns(rewards, dones, gamma)
    expect(torch.equal(rewards, rewards_before) and torch.equal(dones, dones_before),
           "discounted_returns changed the rewards or dones it was given. Write the returns "
           "into a new tensor: the buffer is still needed afterwards.")
    expect_tensor(returns, name=name, shape=tuple(rewards.shape), dtype=dtype, concept=CONCEPT)
    want = _reference(rewards, dones, gamma)
    cleanrl = _reference(rewards, _next_step_flags(dones), gamma)
    got = returns.detach().double()
    if not torch.allclose(got, want, atol=1e-4) and torch.allclose(got, cleanrl, atol=1e-4):
        fail(f"{name}: the discount stops one step early, as if dones[t + 1] = 1 meant that "
             "step t + 1 starts a new episode (CleanRL's next_done, SB3's episode_starts). "
             "Here dones[t] = 1 means step t was the LAST step of its episode: use "
             "(1 - dones[t]) at step t.\n" + CONCEPT)
    expect_tensor(returns, name=name, values=want.to(dtype), atol=1e-4, rtol=1e-5,
                  concept=CONCEPT)


def test_one_episode(exercise):
    """One episode, no end inside: G_t = r_t + gamma * G_{t+1}."""
    rewards = torch.tensor([1.0, 0.0, 2.0, -1.0, 3.0])
    dones = torch.zeros(5)
    _run(exercise, rewards, dones, 0.9, "the return tensor for one episode")


def test_gamma_extremes(exercise):
    """gamma = 0 gives the rewards back; gamma = 1 sums what is left of the episode."""
    rewards = torch.tensor([1.0, 2.0, 3.0, 4.0])
    dones = torch.tensor([0.0, 1.0, 0.0, 0.0])
    _run(exercise, rewards, dones, 0.0, "the return tensor with gamma = 0")
    _run(exercise, rewards, dones, 1.0, "the return tensor with gamma = 1 (expected [3, 2, 7, 4])")


def test_discount_stops_at_done(exercise):
    """An episode end in the middle: the next episode's rewards do not leak back."""
    rewards = torch.tensor([0.0, 0.0, 1.0, 10.0, 10.0, 10.0])
    dones = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    _run(exercise, rewards, dones, 0.5,
         "the return tensor when the first episode ends at step 2 "
         "(expected G_2 = 1, not 1 + 0.5 * 17.5)")


def test_many_episodes(exercise):
    """A long buffer with many episode ends, the last step among them."""
    g = torch.Generator().manual_seed(0)
    rewards = torch.randn(200, generator=g)
    dones = (torch.rand(200, generator=g) < 0.1).float()
    dones[-1] = 1.0
    _run(exercise, rewards, dones, 0.99, "the return tensor of a 200-step buffer")


def test_keeps_the_dtype(exercise):
    """float64 rewards give float64 returns: the same dtype as the rewards, as promised."""
    rewards = torch.tensor([0.5, 1.0, -2.0, 1e-9], dtype=torch.float64)
    dones = torch.tensor([0.0, 1.0, 0.0, 0.0], dtype=torch.float64)
    _run(exercise, rewards, dones, 0.99, "the return tensor for float64 rewards",
         dtype=torch.float64)


def test_one_step_buffer(exercise):
    """A buffer of a single step (T = 1): G_0 = r_0."""
    _run(exercise, torch.tensor([2.5]), torch.tensor([0.0]), 0.9,
         "the return tensor of a one-step buffer")


def test_contract(exercise):
    """The promise holds for any length, gamma in [0, 1], float32 or float64, rewards of 0 at
    episode ends, and a buffer ending mid-episode or at an end."""
    def inputs(draw):
        steps = draw["steps"]
        rewards = draw.randn(steps, scale=2.0)
        dones = (draw.rand(steps) < 0.3).to(rewards.dtype)
        rewards[dones.bool()] = torch.where(draw.rand(int(dones.sum())) < 0.5, 0.0, 1.0).to(
            rewards.dtype)  # terminal rewards of 0 and of 1
        return Args(rewards, dones, draw["gamma"])

    check_contract(Contract(
        function="discounted_returns", call=exercise.discounted_returns,
        reference=lambda r, d, gamma: _reference(r, d, gamma).to(r.dtype), inputs=inputs,
        axes={"steps": [1, 7, 40], "gamma": [0.0, 0.9, 1.0],
              "dtype": [torch.float32, torch.float64]},
        atol=1e-4, rtol=1e-5, concept=CONCEPT + " The returns keep the rewards' dtype."))

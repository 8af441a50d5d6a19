"""Check: the TD target r + gamma * (1 - done) * V(s'), without grad; the critic's MSE."""

import warnings

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot, ModuleSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.losses import loss_habit

CONCEPT_TARGET = (
    "y = r + gamma * (1 - done) * V(s'): V(s') squeezed from (B, 1) to (B,), the bootstrap "
    "switched off where done = 1, all of it computed under torch.no_grad() so the target "
    "is a constant."
)
CONCEPT_LOSS = (
    "The critic's loss is mean((V(s) - y)^2) over the batch, with V(s) squeezed to (B,) "
    "so that it lines up with the (B,) targets instead of broadcasting to (B, B)."
)
B, OBS = 6, 3


def _critic(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(OBS, 8), nn.Tanh(), nn.Linear(8, 1))


def _batch(seed=1):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(B, generator=g)
    next_obs = torch.randn(B, OBS, generator=g)
    dones = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    return rewards, next_obs, dones


def test_target_values(exercise):
    """The target is (B,) and equals r + gamma * (1 - done) * V(s')."""
    critic = _critic()
    rewards, next_obs, dones = _batch()
    with torch.no_grad():
        expected = rewards + 0.9 * (1 - dones) * critic(next_obs)[:, 0]
    target = exercise.td_target(critic, rewards.clone(), next_obs, dones, 0.9)
    expect_tensor(target, name="the TD target", shape=(B,), dtype=torch.float32,
                  values=expected, atol=1e-5, concept=CONCEPT_TARGET)


def test_no_bootstrap_at_done(exercise):
    """Where done = 1 the target is the reward alone, however large V(s') is."""
    critic = _critic()
    with torch.no_grad():
        critic[-1].bias.fill_(1000.0)  # every next state looks enormously valuable
    rewards, next_obs, dones = _batch()
    target = exercise.td_target(critic, rewards.clone(), next_obs, dones, 0.99)
    expect_tensor(target, name="the TD target", shape=(B,), concept=CONCEPT_TARGET)
    ended = dones == 1
    expect_tensor(target[ended], name="the TD target at the steps where the episode ended",
                  values=rewards[ended], atol=1e-5,
                  concept="At an episode end there is no next state: (1 - done) must zero "
                  "the bootstrap term, leaving y = r.")


def test_target_carries_no_gradient(exercise):
    """The target is a constant: no grad_fn, and no gradient reaches the critic through it."""
    critic = _critic()
    rewards, next_obs, dones = _batch()
    target = exercise.td_target(critic, rewards, next_obs, dones, 0.9)
    expect_tensor(target, name="the TD target", shape=(B,), requires_grad=False, grad_fn=False,
                  concept="Build the target under torch.no_grad() (or .detach() V(s')): the "
                  "critic must chase the target, not drag the target along with it.")


def test_critic_loss(exercise):
    """The critic's loss is the MSE of V(s) against the targets, and its gradient is right."""
    critic = _critic(2)
    g = torch.Generator().manual_seed(3)
    obs = torch.randn(B, OBS, generator=g)
    targets = torch.randn(B, generator=g)
    loss = exercise.critic_loss(critic, obs, targets)
    values = critic(obs)[:, 0]
    expected = ((values - targets) ** 2).mean()
    expect_tensor(loss, name="the critic loss", shape=(), grad_fn=True,
                  concept=CONCEPT_LOSS + " It must stay connected to the critic to train it.")
    story = loss_habit(loss.item(), values, targets)
    expect_close(loss.item(), expected.item(), name="the critic loss", atol=1e-5,
                 concept=(story + "\n" if story else "") + CONCEPT_LOSS)
    grads = torch.autograd.grad(loss, list(critic.parameters()))
    want = torch.autograd.grad(expected, list(critic.parameters()))
    for (pname, _), got, ref in zip(critic.named_parameters(), grads, want, strict=True):
        expect_tensor(got, name=f"the gradient of the loss for the critic's {pname}",
                      values=ref, atol=1e-5, concept=CONCEPT_LOSS)


def test_target_and_loss_together(exercise):
    """Target and loss together: backward reaches the critic, the target stays a constant."""
    critic = _critic(4)
    rewards, next_obs, dones = _batch(5)
    obs = torch.randn(B, OBS, generator=torch.Generator().manual_seed(6))
    network = ModuleSnapshot(critic=critic)
    target = exercise.td_target(critic, rewards, next_obs, dones, 0.9)
    network.expect_untouched(function="td_target", concept=CONCEPT_TARGET)
    expect(isinstance(target, torch.Tensor), "td_target should return a tensor.")
    before = exercise.critic_loss(critic, obs, target)
    critic.zero_grad()
    before.backward()
    for p in critic.parameters():
        expect(p.grad is not None, "The critic loss produced no gradient for the critic.")
    expect_tensor(target, name="the TD target after backward", requires_grad=False,
                  grad_fn=False, concept=CONCEPT_TARGET)


def test_batch_of_one(exercise):
    """One transition: the target is (1,), and V(s) stays (1,) in the loss (squeeze(-1))."""
    critic = _critic(7)
    g = torch.Generator().manual_seed(8)
    obs, next_obs = torch.randn(1, OBS, generator=g), torch.randn(1, OBS, generator=g)
    rewards, dones = torch.randn(1, generator=g), torch.zeros(1)
    with torch.no_grad():
        want = rewards + 0.9 * critic(next_obs)[:, 0]
    target = exercise.td_target(critic, rewards.clone(), next_obs, dones, 0.9)
    expect_tensor(target, name="the TD target for a batch of one", shape=(1,), values=want,
                  atol=1e-5, concept=CONCEPT_TARGET + " squeeze(-1), not squeeze(): without a "
                  "dim, squeeze removes the batch dimension too when B = 1.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = exercise.critic_loss(critic, obs, target)
    for warning in caught:
        if "target size" in str(warning.message):
            fail("With a batch of one, F.mse_loss warned: "
                 f"{str(warning.message).splitlines()[0]} V(s) lost its batch dimension: "
                 ".squeeze() without a dim turns (1, 1) into a 0-d tensor, not (1,). Say which "
                 "dim: .squeeze(-1).\n" + CONCEPT_LOSS)
    expect_tensor(loss, name="the critic loss for a batch of one", shape=(),
                  values=((critic(obs)[:, 0] - target) ** 2).mean(), atol=1e-5,
                  concept=CONCEPT_LOSS)


def test_inputs_left_as_they_were(exercise):
    """td_target and critic_loss leave the caller's rewards, dones and observations alone."""
    critic = _critic(9)
    rewards, next_obs, dones = _batch(10)
    obs = torch.randn(B, OBS, generator=torch.Generator().manual_seed(11))
    for _ in range(2):  # a replay buffer may hand out the same tensors again
        inputs = InputSnapshot(rewards=rewards, next_obs=next_obs, dones=dones, obs=obs)
        target = exercise.td_target(critic, rewards, next_obs, dones, 0.9)
        exercise.critic_loss(critic, obs, target)
        inputs.expect_untouched(function="td_target / critic_loss", concept=(
            "Build the target in a new tensor: rewards + gamma * (1 - dones) * V(s'). "
            "`targets = rewards; targets += ...` writes into the caller's rewards (the replay "
            "buffer's own storage). " + CONCEPT_TARGET))


def test_contracts(exercise):
    """td_target and critic_loss keep their promise for a batch of one, float64, gamma 0 and 1,
    and terminal rewards of 0; the target is a constant, the loss keeps the critic's graph."""
    def critic(draw):
        torch.manual_seed(draw.seed())
        return nn.Sequential(nn.Linear(OBS, 8), nn.Tanh(), nn.Linear(8, 1)).to(draw["dtype"])

    def target_inputs(draw):
        batch = draw["batch"]
        dones = (draw.rand(batch) < 0.5).to(draw["dtype"])
        rewards = draw.randn(batch) * (1 - dones)  # rewards of exactly 0 where episodes end
        return Args(critic(draw), rewards, draw.randn(batch, OBS), dones, draw["gamma"])

    def target(net, rewards, next_obs, dones, gamma):
        with torch.no_grad():
            return rewards + gamma * (1.0 - dones) * net(next_obs).squeeze(-1)

    axes = {"batch": [1, 7], "dtype": [torch.float32, torch.float64], "gamma": [0.0, 0.9, 1.0]}
    check_contract(Contract(
        function="td_target", call=exercise.td_target, reference=target, inputs=target_inputs,
        axes=axes, concept=CONCEPT_TARGET))
    check_contract(Contract(
        function="critic_loss", call=exercise.critic_loss,
        reference=lambda net, obs, y: ((net(obs).squeeze(-1) - y) ** 2).mean(),
        inputs=lambda d: Args(critic(d), d.randn(d["batch"], OBS), d.randn(d["batch"])),
        axes={"batch": [1, 7], "dtype": [torch.float32, torch.float64]}, concept=CONCEPT_LOSS))

"""Check: the dueling head centres the advantages over the actions."""

import torch

from torchlings.checkapi.testing import expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import call

CONCEPT = (
    "Q = V + A - A.mean(dim=-1, keepdim=True): one mean per observation, over its actions "
    "(the last dim), so each row of advantages is centred and V is the row mean of Q."
)


def _streams(batch: int, n_actions: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    value = torch.randn(batch, 1, generator=generator) * 3
    advantages = torch.randn(batch, n_actions, generator=generator) * 2 + 1
    return value, advantages


def _q(exercise, value, advantages):
    return call(exercise.dueling_q, value, advantages, name="dueling_q", concept=CONCEPT)


def test_values(exercise):
    """Q equals V + A - mean(A) for batches smaller, equal to and larger than n_actions."""
    for batch, n_actions, seed in ((5, 3, 0), (4, 4, 1), (2, 6, 2)):
        value, advantages = _streams(batch, n_actions, seed)
        want = value + advantages - advantages.mean(dim=-1, keepdim=True)
        inputs = InputSnapshot(value=value, advantages=advantages)
        q = _q(exercise, value, advantages)
        inputs.expect_untouched(function="dueling_q",
                                concept="dueling_q returns new Q-values; centring the advantages "
                         "with -= would rewrite the advantage stream's own output.")
        expect_tensor(q, name=f"the Q-values for value (B={batch}, 1) and advantages "
                      f"({batch}, {n_actions})", shape=(batch, n_actions), dtype=torch.float32,
                      finite=True, values=want, atol=1e-5, concept=CONCEPT)


def test_advantage_part_is_centred(exercise):
    """Averaged over the actions, Q gives back V for every observation."""
    value, advantages = _streams(6, 4, 3)
    q = _q(exercise, value, advantages)
    expect_tensor(q, name="the Q-values", shape=(6, 4), concept=CONCEPT)
    expect_tensor(q.mean(dim=-1), name="the mean of Q over the actions, per observation",
                  shape=(6,), values=value.squeeze(-1), atol=1e-5,
                  concept="Once the advantages are centred, the mean over actions of Q is V. "
                  + CONCEPT)


def test_shifting_advantages_changes_nothing(exercise):
    """Adding a constant to one observation's advantages leaves its Q-values unchanged."""
    value, advantages = _streams(5, 3, 4)
    shifted = advantages.clone()
    shifted[2] += 10.0
    before = _q(exercise, value, advantages)
    after = _q(exercise, value, shifted)
    expect_tensor(after, name="the Q-values after adding 10 to observation 2's advantages",
                  shape=(5, 3), values=before, atol=1e-4,
                  concept="Centring removes any constant from the advantages of a state; without "
                  "it, V and A can trade constants and stop meaning anything. And a mean over "
                  "the batch would let observation 2 change the others. " + CONCEPT)


def test_network_output(exercise):
    """DuelingQNetwork returns (B, n_actions) Q-values whose row means are V."""
    torch.manual_seed(0)
    net = exercise.DuelingQNetwork(4, 3)
    obs = torch.randn(7, 4, generator=torch.Generator().manual_seed(5))
    q = call(net, obs, name="DuelingQNetwork", concept=CONCEPT)
    expect_tensor(q, name="the dueling network's Q-values", shape=(7, 3), dtype=torch.float32,
                  grad_fn=True, finite=True, concept=CONCEPT)
    value, _ = net.streams(obs)
    expect_tensor(q.mean(dim=-1), name="the network's Q averaged over actions", shape=(7,),
                  values=value.squeeze(-1), atol=1e-5, concept=CONCEPT)


def _name_a_cut_mean(case, got, want):
    """Right Q-values whose gradient is wrong: the mean over the actions was detached."""
    if case.gradient_problem:
        fail("dueling_q gives the right Q-values, but the gradient that reaches the advantage "
             "stream is wrong: the mean over the actions was cut from the graph (.detach(), "
             ".item(), or a value computed under no_grad). Each advantage also moves Q through "
             "the mean it is part of; keep the mean in the graph: "
             "advantages - advantages.mean(dim=-1, keepdim=True).\n" + CONCEPT)


def test_dueling_q_contract(exercise):
    """dueling_q keeps its promise for any batch and number of actions, in float32 and float64,
    gradients included."""
    def inputs(draw):
        batch, actions = draw["batch"], draw["actions"]
        return Args(draw.randn(batch, 1, scale=3.0).requires_grad_(),
                    draw.randn(batch, actions, scale=2.0).requires_grad_())

    check_contract(Contract(
        function="dueling_q", call=exercise.dueling_q,
        reference=lambda v, a: v + (a - a.mean(dim=-1, keepdim=True)), inputs=inputs,
        axes={"batch": [1, 5], "actions": [1, 2, 7], "dtype": [torch.float32, torch.float64]},
        atol=1e-5, rtol=1e-5, diagnose=_name_a_cut_mean, concept=CONCEPT))

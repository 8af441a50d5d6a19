"""Check: a Q-network maps (B, obs_dim) to unbounded Q-values of shape (B, n_actions)."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import (
    call,
    expect_module,
    expect_not_probabilities,
    expect_rows_independent,
    scaled_copy,
)

CONCEPT_SHAPE = (
    "A Q-network returns one Q-value per action for each observation: (B, obs_dim) in, "
    "(B, n_actions) out. A single output unit would be a state value V(s), not Q(s, a)."
)
CONCEPT_FREE = (
    "Q-values are expected sums of rewards: any real number, with no softmax, sigmoid or "
    "ReLU after the last Linear layer."
)


def _q(exercise, obs_dim: int, n_actions: int, obs: torch.Tensor) -> torch.Tensor:
    torch.manual_seed(0)
    net = expect_module(exercise.QNetwork(obs_dim, n_actions), name="QNetwork")
    return call(net, obs, name="QNetwork", concept=CONCEPT_SHAPE)


def test_one_q_value_per_action(exercise):
    """Each observation gets one Q-value per action: (B, n_actions)."""
    generator = torch.Generator().manual_seed(0)
    for obs_dim, n_actions, batch in ((4, 2, 7), (8, 5, 3)):
        obs = torch.randn(batch, obs_dim, generator=generator)
        q = _q(exercise, obs_dim, n_actions, obs)
        expect_tensor(
            q,
            name=f"the Q-value tensor for {batch} observations of size {obs_dim} and "
            f"{n_actions} actions",
            shape=(batch, n_actions), dtype=torch.float32, grad_fn=True, finite=True,
            concept=CONCEPT_SHAPE,
        )


def test_q_values_are_not_probabilities(exercise):
    """Q-values are not squashed: no softmax or log-softmax over the actions."""
    obs = torch.randn(64, 4, generator=torch.Generator().manual_seed(1)) * 3
    q = _q(exercise, 4, 3, obs)
    expect_tensor(q, name="the Q-values", shape=(64, 3), concept=CONCEPT_SHAPE)
    expect_not_probabilities(q, name="the Q-values", concept=CONCEPT_FREE)
    log_normalised = torch.allclose(
        q.detach().logsumexp(-1), torch.zeros(64), atol=1e-4
    )
    expect(
        not log_normalised,
        "exp() of every row of the Q-values sums to 1: they are log-probabilities, i.e. a "
        f"log_softmax was applied.\n{CONCEPT_FREE}",
        kind="softmax", name="the Q-values",
    )


def test_q_values_take_either_sign(exercise):
    """Across many observations, some Q-values are negative and some positive."""
    obs = torch.randn(256, 4, generator=torch.Generator().manual_seed(2)) * 10
    q = _q(exercise, 4, 3, obs).detach()
    expect(
        q.min() < 0 < q.max(),
        f"Over 256 observations every Q-value lies in [{q.min().item():.3g}, "
        f"{q.max().item():.3g}]: the output never changes sign, which an untrained plain "
        f"Linear output layer would.\n{CONCEPT_FREE}",
        kind="bounded", name="the Q-values",
    )


def test_observations_do_not_mix(exercise):
    """The Q-values of one observation do not depend on the others in the batch."""
    torch.manual_seed(0)
    net = exercise.QNetwork(4, 3)
    obs = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    expect_rows_independent(net, obs, name="QNetwork", concept=CONCEPT_FREE)


def test_q_values_are_not_bounded(exercise):
    """With its weights scaled up, the network's Q-values leave [-1, 1]: nothing squashes them."""
    torch.manual_seed(0)
    net = expect_module(exercise.QNetwork(4, 3), name="QNetwork")
    obs = torch.randn(64, 4, generator=torch.Generator().manual_seed(4)) * 10
    q = call(scaled_copy(net, 20.0), obs, name="QNetwork", concept=CONCEPT_SHAPE).detach()
    biggest = q.abs().max().item()
    expect(
        biggest > 2.0,
        f"With every weight multiplied by 20, every Q-value still lies within "
        f"[-{biggest:.3g}, {biggest:.3g}]: the output is squashed or clipped (tanh, sigmoid, "
        "clamp, hardtanh). A plain Linear output grows with its weights, and a return of 250 "
        f"must be reachable.\n{CONCEPT_FREE}",
        kind="bounded", name="the Q-values",
    )


def test_batch_of_one(exercise):
    """A batch of one observation gives Q-values of shape (1, n_actions)."""
    obs = torch.randn(1, 4, generator=torch.Generator().manual_seed(5))
    expect_tensor(_q(exercise, 4, 3, obs), name="the Q-values for a batch of one",
                  shape=(1, 3), dtype=torch.float32,
                  concept="Keep the batch dim even when B = 1: a bare .squeeze() drops it. "
                  + CONCEPT_SHAPE)



def _form(q_values):
    """Q-values reduced to shape, dtype and device: the architecture inside is free, so the
    values themselves are judged by the tests above, not here."""
    return torch.zeros_like(q_values) if isinstance(q_values, torch.Tensor) else q_values


def test_q_network_contract(exercise):
    """Any batch (one included), one action or more, float64 weights: (B, n_actions) in their dtype."""
    def inputs(draw):
        torch.manual_seed(draw.seed())
        net = exercise.QNetwork(draw["obs_dim"], draw["actions"])
        obs = draw.randn(draw["batch"], draw["obs_dim"], scale=3.0)
        return Args(net.to(draw["dtype"]), obs, draw["actions"])

    check_contract(Contract(
        function="QNetwork", call=lambda net, obs, n_actions: _form(net(obs)),
        reference=lambda net, obs, n_actions: torch.zeros(obs.shape[0], n_actions, dtype=obs.dtype),
        inputs=inputs,
        axes={"batch": [1, 5], "obs_dim": [1, 4], "actions": [1, 3],
              "dtype": [torch.float32, torch.float64]},
        concept="(B, n_actions) raw Q-values for any batch and any number of actions (one "
                "included: (B, 1), no squeeze), in the dtype of the network's weights (no "
                ".float() on the input)."))


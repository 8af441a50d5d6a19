"""Check: a policy network's logits, and probabilities normalised over the actions."""

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

OBS, ACTIONS = 4, 3
CONCEPT = (
    "Logits have shape (B, n_actions); the actions are the LAST dimension, so the softmax "
    "must run over dim=-1. Then each observation's row is positive and sums to 1."
)


def _net(exercise):
    torch.manual_seed(0)
    return expect_module(exercise.PolicyNetwork(OBS, ACTIONS), name="PolicyNetwork")


def _obs(batch: int, seed: int) -> torch.Tensor:
    return torch.randn(batch, OBS, generator=torch.Generator().manual_seed(seed))


def test_forward_returns_logits(exercise):
    """forward returns raw logits of shape (B, n_actions), not probabilities."""
    logits = call(_net(exercise), _obs(8, 0), name="PolicyNetwork")
    expect_tensor(logits, name="the logits from forward", shape=(8, ACTIONS),
                  dtype=torch.float32, grad_fn=True, finite=True,
                  concept="forward returns one raw score per action: (B, n_actions).")
    expect_not_probabilities(
        logits, name="the logits from forward",
        concept="Keep forward returning logits; only action_probs applies the softmax.",
    )


def test_logits_are_unbounded(exercise):
    """With the weights scaled up, the logits leave [-1, 1]: forward squashes nothing."""
    probe = scaled_copy(_net(exercise), 20.0)
    logits = call(probe, _obs(64, 5) * 10, name="PolicyNetwork").detach()
    biggest = logits.abs().max().item()
    expect(
        biggest > 2.0,
        f"With every weight multiplied by 20, no logit is larger than {biggest:.3g} in size: "
        "forward squashes its output (tanh, sigmoid, clamp). Logits are free scores; a row "
        "of (-1, 1) logits can never make one action much likelier than another. End forward "
        "in the plain Linear layer.",
        kind="bounded", name="the logits from forward",
    )


def test_probs_sum_to_one_over_actions(exercise):
    """Each observation's probabilities are positive and sum to 1 over the actions."""
    net = _net(exercise)
    obs = _obs(8, 1)
    probs = call(net.action_probs, obs, name="action_probs")
    expect_tensor(probs, name="the action probabilities", shape=(8, ACTIONS),
                  dtype=torch.float32, grad_fn=True, finite=True,
                  concept=CONCEPT + " Do not detach: the policy gradient flows through them.")
    expect(bool((probs >= 0).all()), "Some action probabilities are negative.\n" + CONCEPT,
           kind="values", name="the action probabilities")
    expect_tensor(probs.sum(-1), name="each observation's probabilities summed over the actions",
                  shape=(8,), values=1.0, atol=1e-5, concept=CONCEPT)
    with torch.no_grad():
        want = torch.softmax(net(obs), dim=-1)
    expect_tensor(probs, name="the action probabilities", values=want, atol=1e-6,
                  concept="action_probs should be the softmax of this network's own logits. "
                  + CONCEPT)


def test_batch_of_one(exercise):
    """A batch holding one observation still gets a proper distribution."""
    probs = call(_net(exercise).action_probs, _obs(1, 2), name="action_probs")
    expect_tensor(probs, name="the probabilities for a batch of one", shape=(1, ACTIONS))
    expect_tensor(probs.sum(-1), name="the probabilities for a batch of one, summed over actions",
                  shape=(1,), values=1.0, atol=1e-5,
                  concept="All ones here means the softmax ran over the batch dim (dim 0), which "
                  "has a single entry. " + CONCEPT)


def test_observations_do_not_mix(exercise):
    """Changing one observation does not change the probabilities of the others."""
    net = _net(exercise)
    expect_rows_independent(net.action_probs, _obs(6, 3), name="action_probs", concept=CONCEPT)


def test_single_observation(exercise):
    """A single observation (obs_dim,) gives probabilities of shape (n_actions,)."""
    obs = _obs(1, 4)[0]
    probs = call(_net(exercise).action_probs, obs, name="action_probs", concept=CONCEPT)
    expect_tensor(probs, name="the probabilities for one observation of shape (4,)",
                  shape=(ACTIONS,), finite=True, concept=CONCEPT)
    expect_tensor(probs.sum(), name="the probabilities for one observation, summed",
                  values=1.0, atol=1e-5, concept=CONCEPT)


def test_action_probs_contract(exercise):
    """action_probs is softmax(logits) over the actions for any batch, more actions, float64,
    and logits in the hundreds, gradients included."""
    def inputs(draw):
        torch.manual_seed(draw.seed())
        net = exercise.PolicyNetwork(OBS, draw["actions"]).to(draw["dtype"])
        with torch.no_grad():  # a confident policy: its last layer scaled up
            for layer in net.modules():
                if isinstance(layer, torch.nn.Linear) and layer.out_features == draw["actions"]:
                    layer.weight.mul_(draw["scale"])
                    layer.bias.mul_(draw["scale"])
        return Args(net, draw.randn(draw["batch"], OBS, scale=3.0))

    check_contract(Contract(
        function="action_probs", call=lambda net, obs: net.action_probs(obs),
        reference=lambda net, obs: torch.softmax(net(obs), dim=-1), inputs=inputs,
        axes={"batch": [1, 6], "actions": [2, 7], "dtype": [torch.float32, torch.float64],
              "scale": [1.0, 400.0]},
        concept=CONCEPT + " exp() of a logit above about 88 is inf in float32: "
                "torch.softmax subtracts the row's max first, and stays finite."))

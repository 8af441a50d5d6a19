"""Check: an actor-critic network whose two heads share one trunk."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import (
    call,
    expect_module,
    expect_not_probabilities,
    expect_rows_independent,
    params_reached_by,
    scaled_copy,
)

OBS, ACTIONS, BATCH = 4, 3, 8
CONCEPT_SHARED = (
    "Both heads sit on the same trunk: features = trunk(obs); logits = policy_head(features); "
    "value = value_head(features). Then the actor's and the critic's gradients both train the "
    "trunk. (Separate actor and critic networks, as in CleanRL's CartPole PPO and SB3's "
    "default MlpPolicy, are a different design from the one asked here.)"
)


def _forward(exercise, obs: torch.Tensor):
    torch.manual_seed(0)
    net = expect_module(exercise.ActorCritic(OBS, ACTIONS), name="ActorCritic")
    out = call(net, obs, name="ActorCritic", concept=CONCEPT_SHARED)
    expect(
        isinstance(out, tuple) and len(out) == 2,
        f"ActorCritic should return a tuple (logits, value), but it returned "
        f"{type(out).__name__}{f' of length {len(out)}' if isinstance(out, tuple) else ''}.",
        kind="type", name="ActorCritic's output",
    )
    return net, out


def _obs(batch: int = BATCH, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, OBS, generator=torch.Generator().manual_seed(seed))


def test_output_shapes(exercise):
    """forward returns logits (B, n_actions) and one value per observation (B,)."""
    _, (logits, value) = _forward(exercise, _obs())
    expect_tensor(logits, name="the logits", shape=(BATCH, ACTIONS), dtype=torch.float32,
                  grad_fn=True, finite=True,
                  concept="The policy head gives one logit per action: (B, n_actions).")
    expect_tensor(value, name="the value", shape=(BATCH,), dtype=torch.float32,
                  grad_fn=True, finite=True,
                  concept="The value head gives one number per observation; squeeze(-1) turns "
                  "(B, 1) into (B,).")


def test_heads_share_the_trunk(exercise):
    """Gradients from the policy and from the value reach the same (trunk) parameters."""
    net, (logits, value) = _forward(exercise, _obs())
    from_policy = params_reached_by(net, logits.sum())
    from_value = params_reached_by(net, value.sum())
    expect(
        from_policy and from_value,
        "The logits or the value do not depend on any parameter of the network "
        f"(policy reaches {sorted(from_policy)}, value reaches {sorted(from_value)}).",
        kind="no_grad", name="ActorCritic",
    )
    shared = from_policy & from_value
    expect(
        shared,
        "The two heads do not share a trunk: no parameter gets a gradient from both the logits "
        f"and the value.\n  the policy's gradient reaches: {sorted(from_policy)}\n"
        f"  the value's gradient reaches:  {sorted(from_value)}\n{CONCEPT_SHARED}",
        kind="not_shared", name="ActorCritic",
    )


def test_value_learning_moves_the_policy(exercise):
    """One gradient step on the value alone changes the logits (the trunk is shared)."""
    net, (logits, value) = _forward(exercise, _obs())
    before = logits.detach().clone()
    params = [p for p in net.parameters() if p.requires_grad]
    grads = torch.autograd.grad(value.pow(2).mean(), params, allow_unused=True)
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            if g is not None:
                p -= 0.1 * g
        after, _ = net(_obs())
    expect(
        not torch.allclose(before, after),
        "A gradient step on the critic's loss left the actor's logits exactly as they were: "
        f"the critic's learning does not reach the features the actor uses.\n{CONCEPT_SHARED}",
        kind="not_shared", name="ActorCritic",
    )


def test_observations_do_not_mix(exercise):
    """Each observation's logits do not depend on the rest of the batch."""
    net, _ = _forward(exercise, _obs())
    expect_rows_independent(net, _obs(6, 1), name="ActorCritic")


def test_batch_of_one(exercise):
    """A batch of one observation gives logits (1, n_actions) and a value of shape (1,)."""
    _, (logits, value) = _forward(exercise, _obs(1, 2))
    expect_tensor(logits, name="the logits for a batch of one", shape=(1, ACTIONS),
                  concept="Keep the batch dim even when B = 1.")
    expect_tensor(value, name="the value for a batch of one", shape=(1,),
                  concept="squeeze(-1) drops only the trailing 1: (1, 1) -> (1,). A bare "
                  ".squeeze() drops the batch dim too and returns a 0-d tensor when B = 1.")


def test_outputs_are_unbounded(exercise):
    """Logits and values are raw numbers: with the weights scaled up they leave [-1, 1]."""
    net, _ = _forward(exercise, _obs())
    obs = _obs(64, 3) * 10
    logits, value = call(scaled_copy(net, 20.0), obs, name="ActorCritic")
    expect_not_probabilities(logits, name="the logits",
                             concept="forward returns logits; a softmax belongs to the loss or "
                             "the sampling, not the network.")
    for name, out in (("the logits", logits), ("the value", value)):
        biggest = out.detach().abs().max().item()
        expect(
            biggest > 2.0,
            f"With every weight multiplied by 20, no entry of {name} is larger than "
            f"{biggest:.3g} in size: the head's output is squashed (tanh, sigmoid, clamp). Values are "
            "sums of rewards and logits are free scores: the heads end in a plain Linear layer.",
            kind="bounded", name=name,
        )


def _one_at_a_time(net, obs: torch.Tensor, n_actions: int):
    """The promise, built row by row: logits (B, n_actions), value (B,), each row on its own."""
    logits, values = [], []
    for row in obs.split(1):
        out = net(row)
        expect(isinstance(out, tuple) and len(out) == 2,
               "ActorCritic should return a tuple (logits, value).", kind="type",
               name="ActorCritic's output")
        row_logits, row_value = out
        expect(row_logits.numel() == n_actions and row_value.numel() == 1,
               f"For one observation ActorCritic(obs_dim, n_actions={n_actions}) should give "
               f"{n_actions} logits and one value, but it gave {row_logits.numel()} logits and "
               f"{row_value.numel()} value entries.", kind="shape", name="ActorCritic")
        # The promise's shapes and dtype, whatever this row came back as.
        logits.append(row_logits.reshape(1, n_actions).to(obs.dtype))
        values.append(row_value.reshape(1).to(obs.dtype))
    return torch.cat(logits), torch.cat(values)


def test_contract(exercise):
    """Any batch (one included), obs_dim, n_actions, hidden and float64: (B, n_actions) and (B,)."""
    def inputs(draw):
        torch.manual_seed(draw.seed())
        net = exercise.ActorCritic(draw["obs_dim"], draw["n_actions"], hidden=draw["hidden"])
        net = net.to(draw["dtype"])
        return Args(net, draw.randn(draw["batch"], draw["obs_dim"]), draw["n_actions"])

    check_contract(Contract(
        function="ActorCritic.forward", call=lambda net, obs, n_actions: net(obs),
        reference=_one_at_a_time, inputs=inputs,
        axes={"batch": [1, 5], "obs_dim": [1, 3], "n_actions": [1, 4], "hidden": [2, 16],
              "dtype": [torch.float32, torch.float64]},
        budget=8,
        concept="forward returns (logits, value): logits (B, n_actions) and value (B,) for "
        "every batch size, one included, in the dtype of the network. " + CONCEPT_SHARED))

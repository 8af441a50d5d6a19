"""Check: rollouts (B, T, ...) flattened to (B*T, ...) and back, without mixing B and T."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

B, T, OBS_DIM = 3, 4, 2  # B != T, so mixing them up changes the shape

CONCEPT = ("Row b*T + t of the flat batch is environment b at step t: flatten and unflatten "
           "the first two dimensions in the order (B, T), never (T, B), with no transpose. "
           "(CleanRL and SB3 keep rollouts time-major, (T, N); this one is batch-major.)")


def _rollout(b=B, t=T):
    # obs[b, t] = [10*b + t, -(10*b + t)]: every value says which environment and step.
    ids = (10 * torch.arange(b).view(b, 1) + torch.arange(t).view(1, t)).float()
    return torch.stack([ids, -ids], dim=-1), ids


def test_flatten_obs(exercise):
    """Observations (B, T, obs_dim) flatten to (B*T, obs_dim), environment by environment."""
    obs, _ = _rollout()
    expected = torch.stack([obs[b, t] for b in range(B) for t in range(T)])
    expect_tensor(exercise.flatten_time(obs), name="flatten_time(obs of shape (3, 4, 2))",
                  shape=(B * T, OBS_DIM), dtype=torch.float32, values=expected,
                  concept=CONCEPT)


def test_flatten_rewards(exercise):
    """Rewards (B, T) flatten to (B*T,): the same function, nothing after (B, T)."""
    _, rewards = _rollout()
    expected = torch.stack([rewards[b, t] for b in range(B) for t in range(T)])
    expect_tensor(exercise.flatten_time(rewards), name="flatten_time(rewards of shape (3, 4))",
                  shape=(B * T,), dtype=torch.float32, values=expected,
                  concept="Merge only the first two dimensions and keep whatever follows "
                          "(x.shape[2:], empty for rewards): x.flatten(0, 1).")


def test_unflatten(exercise):
    """A flat (B*T, ...) batch unflattens to (B, T, ...), undoing flatten."""
    obs, rewards = _rollout()
    flat_obs = torch.stack([obs[b, t] for b in range(B) for t in range(T)])
    expect_tensor(exercise.unflatten_time(flat_obs, B, T),
                  name="unflatten_time(flat obs of shape (12, 2), batch_size=3, steps=4)",
                  shape=(B, T, OBS_DIM), dtype=torch.float32, values=obs, concept=CONCEPT)
    flat_rewards = rewards.reshape(-1)
    expect_tensor(exercise.unflatten_time(flat_rewards, B, T),
                  name="unflatten_time(flat rewards of shape (12,), batch_size=3, steps=4)",
                  shape=(B, T), dtype=torch.float32, values=rewards, concept=CONCEPT)


def test_unflatten_square(exercise):
    """With B == T the shape cannot tell B and T apart; the values still must be right."""
    _, rewards = _rollout(3, 3)
    expect_tensor(exercise.unflatten_time(rewards.reshape(-1), 3, 3),
                  name="unflatten_time(flat rewards of shape (9,), batch_size=3, steps=3)",
                  shape=(3, 3), dtype=torch.float32, values=rewards, concept=CONCEPT)


def _value_net(calls):
    weight = torch.tensor([[0.5], [0.25]])

    def value_net(x):
        calls.append(tuple(x.shape))
        expect(x.dim() == 2 and x.shape[-1] == OBS_DIM,
               f"value_net was called with shape {tuple(x.shape)}, but it only accepts a flat "
               f"batch (N, {OBS_DIM}). Flatten (B, T, obs_dim) to (B*T, obs_dim) first.")
        return x @ weight + 1.0

    return value_net, weight


def test_values_per_step(exercise):
    """values_per_step runs the network once on B*T observations and returns (B, T)."""
    obs, _ = _rollout()
    calls = []
    value_net, weight = _value_net(calls)
    values = exercise.values_per_step(value_net, obs)
    expect(calls == [(B * T, OBS_DIM)],
           f"value_net should be called once, on all {B * T} observations at once; it was "
           f"called with the shapes {calls}.")
    expected = (obs @ weight).squeeze(-1) + 1.0
    expect_tensor(values, name="values_per_step(value_net, obs of shape (3, 4, 2))",
                  shape=(B, T), dtype=torch.float32, values=expected,
                  concept="value_net returns (B*T, 1): drop the trailing 1 (squeeze(-1)) and "
                          "unflatten to (B, T), in that order of sizes.")


def test_values_per_step_with_one_environment_or_one_step(exercise):
    """One environment (B = 1) or one step (T = 1) still gives (B, T)."""
    for b, t in ((1, T), (B, 1), (1, 1)):
        obs, _ = _rollout(b, t)
        value_net, weight = _value_net([])
        expect_tensor(exercise.values_per_step(value_net, obs),
                      name=f"values_per_step(value_net, obs of shape {tuple(obs.shape)})",
                      shape=(b, t), dtype=torch.float32,
                      values=(obs @ weight).squeeze(-1) + 1.0,
                      concept="squeeze() without a dim drops every size-1 dimension, so a "
                              "single environment or a single step disappears with the "
                              "trailing 1: squeeze(-1) drops only the last.")


def _any_rollout(draw, *, rest=None):
    """A (B, T, ...) rollout; "from time-major" is the transpose of a (T, B, ...) buffer."""
    b, t, rest = draw["B"], draw["T"], draw["rest"] if rest is None else rest
    if draw.get("layout") == "from time-major":
        x = draw.randn(t, b, *rest).transpose(0, 1)
    else:
        x = draw.randn(b, t, *rest)
    return x.requires_grad_()


_AXES = {"B": [1, 3], "T": [1, 4], "rest": [(), (2,), (3, 2)],
         "layout": ["contiguous", "from time-major"], "dtype": [torch.float32, torch.float64],
         "device": ["cpu", "meta"]}


def test_rollout_shapes_contract(exercise):
    """Any B and T (one included), any trailing dims, a transposed rollout, float64, meta, gradients."""
    check_contract(Contract(
        function="flatten_time", call=exercise.flatten_time,
        reference=lambda x: x.flatten(0, 1), inputs=lambda draw: Args(_any_rollout(draw)),
        axes=_AXES,
        concept=CONCEPT + " Whatever follows (B, T) stays as it is (nothing for rewards, "
        "(C, H) for images), and the rollout may be a transposed view of a time-major buffer, "
        "so not contiguous: reshape or flatten copy when they must, view cannot."))
    check_contract(Contract(
        function="unflatten_time", call=exercise.unflatten_time,
        reference=lambda y, b, t: y.reshape(b, t, *y.shape[1:]),
        inputs=lambda draw: Args(_any_rollout(draw).detach().flatten(0, 1).requires_grad_(),
                                 draw["B"], draw["T"]),
        axes={k: v for k, v in _AXES.items() if k != "layout"}, concept=CONCEPT))

    def rollout_and_net(draw):
        torch.manual_seed(draw.seed())
        obs = _any_rollout(draw, rest=(draw["obs_dim"],))
        return Args(torch.nn.Linear(draw["obs_dim"], 1).to(draw["dtype"]), obs)

    check_contract(Contract(
        function="values_per_step", call=exercise.values_per_step,
        reference=lambda net, obs: net(obs.flatten(0, 1)).squeeze(-1).reshape(obs.shape[:2]),
        inputs=rollout_and_net,
        axes={"B": [1, 3], "T": [1, 4], "obs_dim": [1, 3], "dtype": [torch.float32, torch.float64],
              "layout": ["contiguous", "from time-major"]},
        concept="(B, T), one value per environment and step, for any B and T, on the graph of "
                "the network's parameters: squeeze(-1), then unflatten in the order (B, T)."))

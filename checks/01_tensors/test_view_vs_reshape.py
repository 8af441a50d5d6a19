"""Check: view needs contiguous memory; reshape does not; transposing is not reshaping."""

import torch

from torchlings.checkapi.testing import expect_choice, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract


def test_answer(exercise):
    """The question: what does a transpose do to memory and to view?"""
    expect_choice(
        exercise, "ANSWER", correct="b",
        choices={
            "a": "y is a copy of x laid out row by row, so y.view(6) works",
            "b": "y shares x's memory with strides (1, 3), so it is not contiguous and "
                 "y.view(6) raises an error, while y.reshape(6) copies and works",
            "c": "y shares x's memory and y.view(6) gives tensor([0, 1, 2, 3, 4, 5])",
        },
        why="A transpose copies nothing; it swaps the strides from (3, 1) to (1, 3). Reading "
            "y row by row means jumping around x's memory, which no single stride can do, so "
            "view refuses; reshape (or .contiguous().view) copies into a fresh row-by-row "
            "block: tensor([0, 3, 1, 4, 2, 5]).",
    )


def _reference(obs):
    T, B, D = obs.shape
    return torch.stack([obs[t, b] for b in range(B) for t in range(T)])


CONCEPT = ("Row b*T + t must be environment b at step t. Swap the time and batch dimensions "
           "first (transpose(0, 1) gives (B, T, D)), then flatten: reshape, or "
           ".contiguous().view, since the transposed tensor is not contiguous. Reshaping "
           "(T, B, D) straight to (B*T, D) keeps the time-major order and mixes environments.")


def _flat(exercise, obs):
    try:
        return exercise.batch_major_flat(obs)
    except RuntimeError as error:
        fail(f"batch_major_flat raised an error on obs of shape {tuple(obs.shape)}:\n  {error}\n"
             "After transpose(0, 1) the tensor is not contiguous (its rows are not laid out "
             "one after the other in memory), so view cannot flatten it. reshape copies when "
             "it has to; .contiguous().view(...) does the same explicitly.")


def test_batch_major_flat(exercise):
    """(T, B, D) becomes (B*T, D) with each environment's steps together and in order."""
    T, B, D = 4, 3, 2
    # obs[t, b] = [100*b + t, -(100*b + t)]: every value says which env and step it is.
    ids = (100 * torch.arange(B).view(1, B) + torch.arange(T).view(T, 1)).float()
    obs = torch.stack([ids, -ids], dim=-1)
    flat = _flat(exercise, obs)
    expect_tensor(flat, name="batch_major_flat(obs of shape (4, 3, 2))", shape=(B * T, D),
                  dtype=torch.float32, values=_reference(obs), concept=CONCEPT)


def test_batch_major_flat_other_sizes(exercise):
    """It works for any T, B, D (here T=2, B=5, D=3), from random data."""
    obs = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(3))
    expect_tensor(_flat(exercise, obs),
                  name="batch_major_flat(obs of shape (2, 5, 3))", shape=(10, 3),
                  dtype=torch.float32, values=_reference(obs), concept=CONCEPT)


def _rollout(draw):
    T, B, D = draw["T"], draw["B"], draw["D"]
    if draw["dtype"] == torch.int64:  # actions stored per step, say
        obs = draw.randint(9, B, T, D) if draw["layout"] == "from (B, T, D)" else draw.randint(9, T, B, D)
    else:
        obs = draw.randn(B, T, D) if draw["layout"] == "from (B, T, D)" else draw.randn(T, B, D)
    if draw["layout"] == "from (B, T, D)":  # time-major on the outside, batch-major in memory
        obs = obs.transpose(0, 1)
    return Args(obs.requires_grad_(obs.is_floating_point()))


def test_batch_major_flat_contract(exercise):
    """Any T, B, D (one of each included), float64 and int64, any layout, on any device, with its graph."""
    check_contract(Contract(
        function="batch_major_flat", call=exercise.batch_major_flat,
        reference=lambda obs: obs.transpose(0, 1).reshape(obs.shape[0] * obs.shape[1], -1),
        inputs=_rollout,
        axes={"T": [1, 5], "B": [1, 4], "D": [1, 3],
              "dtype": [torch.float32, torch.float64, torch.int64],
              "layout": ["(T, B, D)", "from (B, T, D)"], "device": ["cpu", "meta"]},
        concept=CONCEPT + " Only the order changes: the dtype stays as it came (no .float()), "
        "the device too, and the result stays on the autograd graph of obs (no .detach(), no "
        "trip through NumPy), so a loss on the flat batch trains what produced it."))

"""Check: slicing rows and columns, boolean masks and gather."""

import torch

from torchlings.checkapi.testing import expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract


def test_pole_state(exercise):
    """pole_state takes columns 2 and 3 of every row: (B, 4) -> (B, 2)."""
    obs = torch.arange(20, dtype=torch.float32).view(5, 4)
    result = exercise.pole_state(obs)
    concept = "Columns 2 and 3 of every row are obs[:, 2:4]: ':' keeps every row, stop excluded."
    shape = tuple(result.shape) if isinstance(result, torch.Tensor) else None
    if shape is not None and len(shape) == 2 and shape[0] != 5:
        concept = ("One slice applies to dimension 0 (the rows, i.e. the samples). To slice "
                   "columns, keep every row with ':' first: x[:, start:stop], stop excluded.")
    elif shape is not None and len(shape) == 2 and shape[1] != 2:
        took = f"{shape[1]} column" + ("" if shape[1] == 1 else "s")
        concept = (f"Every row is there, but the column slice took {took}, not 2. "
                   "The stop index is exclusive: 2:4 takes columns 2 and 3.")
    elif shape == (5,):
        concept = ("A single integer index picks one column and drops that dimension. A slice "
                   "keeps it: obs[:, 2:4] is (5, 2), columns 2 and 3, stop excluded.")
    expect_tensor(result, name="pole_state(obs of shape (5, 4))", shape=(5, 2),
                  dtype=torch.float32, values=obs[:, [2, 3]], concept=concept)


def test_last_steps(exercise):
    """last_steps keeps every row and the last k columns (time steps)."""
    rewards = torch.arange(18, dtype=torch.float32).view(3, 6)
    concept = ("Time is dimension 1 of (B, T): slice it with rewards[:, ...]. The last k "
               "steps run from index T - k (or -k) to the end.")
    for k in (1, 2, 6):
        expect_tensor(exercise.last_steps(rewards, k),
                      name=f"last_steps(rewards of shape (3, 6), k={k})", shape=(3, k),
                      dtype=torch.float32, values=rewards[:, 6 - k:], concept=concept)


def test_terminal_rewards(exercise):
    """A bool mask picks the rewards of the steps where an episode ended, in row order."""
    rewards = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dones = torch.tensor([[False, True, False], [True, False, True]])
    expect_tensor(
        exercise.terminal_rewards(rewards, dones), name="terminal_rewards(rewards, dones)",
        shape=(3,), dtype=torch.float32, values=[2.0, 4.0, 6.0],
        concept="Indexing with a bool tensor of the same shape, rewards[dones], keeps the "
                "elements where the mask is True and returns them as a 1-D tensor. "
                "Multiplying by the mask keeps the shape and leaves zeros instead.",
    )


def test_chosen_q_values(exercise):
    """chosen_q_values picks Q(s_i, a_i) for each sample: (B, A) and (B,) -> (B,)."""
    q = torch.tensor([[0.1, 0.2, 0.3], [1.1, 1.2, 1.3], [2.1, 2.2, 2.3],
                      [3.1, 3.2, 3.3], [4.1, 4.2, 4.3]])
    actions = torch.tensor([2, 0, 1, 2, 0])
    concept = ("Row i needs column actions[i]: gather along dim 1 (the actions) with an "
               "index of shape (B, 1), then squeeze(1) to get back to (B,).")
    try:
        chosen = exercise.chosen_q_values(q, actions)
    except RuntimeError as error:
        fail(f"chosen_q_values raised an error on Q-values (5, 3) and actions (5,):\n  {error}\n"
             "gather's index must have as many dimensions as the input and fit inside it "
             "along every dimension except `dim`.\n" + concept)
    expect_tensor(
        chosen,
        name="chosen_q_values(Q-values of shape (5, 3), actions of shape (5,))", shape=(5,),
        dtype=torch.float32, values=[0.3, 1.1, 2.2, 3.3, 4.1], concept=concept,
    )


def test_chosen_q_values_batch_of_one(exercise):
    """A batch of one observation still gives shape (1,), not a 0-d tensor."""
    q = torch.tensor([[0.5, -1.5, 2.5, 7.0]])
    expect_tensor(
        exercise.chosen_q_values(q, torch.tensor([2])),
        name="chosen_q_values(Q-values of shape (1, 4), actions of shape (1,))", shape=(1,),
        dtype=torch.float32, values=[2.5],
        concept="squeeze() without a dim removes every size-1 dim, the batch dim too when "
                "B = 1: (1, 1) becomes a 0-d tensor. Name the dim: squeeze(1) or squeeze(-1).",
    )


AXES = {"batch": [1, 4], "dtype": [torch.float32, torch.float64]}


def test_contracts(exercise):
    """Each function keeps its promise for a batch of one, float64, rewards of exactly 0 at an
    episode end, more actions than the example, and gradients through the picked Q-values."""
    check_contract(Contract(
        function="pole_state", call=exercise.pole_state, reference=lambda obs: obs[:, 2:4],
        inputs=lambda d: Args(d.randn(d["batch"], 4).requires_grad_()), axes=AXES,
        concept="obs[:, 2:4]: every row, columns 2 and 3."))
    check_contract(Contract(
        function="last_steps", call=exercise.last_steps,
        reference=lambda rewards, k: rewards[:, -k:],
        inputs=lambda d: Args(d.randn(d["batch"], 6), d["k"]), axes={**AXES, "k": [1, 6]},
        concept="rewards[:, -k:]: every environment, the last k time steps."))

    def terminal_inputs(d):
        rewards = d.randn(d["batch"], 5)
        dones = d.rand(d["batch"], 5) < 0.5
        dones[0, -1] = True
        rewards[0, -1] = 0.0  # a terminal reward of 0 is still a terminal reward
        return Args(rewards, dones)

    check_contract(Contract(
        function="terminal_rewards", call=exercise.terminal_rewards,
        reference=lambda rewards, dones: rewards[dones], inputs=terminal_inputs, axes=AXES,
        concept="rewards[dones] keeps every reward whose step ended an episode, a reward of "
                "exactly 0 included: select by the mask, never by the reward's value."))
    check_contract(Contract(
        function="chosen_q_values", call=exercise.chosen_q_values,
        reference=lambda q, a: q.gather(1, a.unsqueeze(1)).squeeze(1),
        inputs=lambda d: Args(d.randn(d["batch"], d["actions"]).requires_grad_(),
                              d.randint(d["actions"], d["batch"])),
        axes={**AXES, "actions": [2, 9]},
        concept="q_values.gather(1, actions.unsqueeze(1)).squeeze(1): one Q-value per row, "
                "shape (B,), a batch of one included."))

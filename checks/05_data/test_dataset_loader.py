"""Check: a Dataset that returns tensors, and a shuffling DataLoader that keeps every example."""

import numpy as np
import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

N, OBS_DIM, BATCH = 50, 3, 16


def _arrays():
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(N, OBS_DIM))  # float64, as NumPy makes it
    actions = np.arange(N) % 4  # int64; also used below to tell the examples apart
    obs[:, 0] = np.arange(N)  # column 0 names the example
    return obs, actions


def test_length(exercise):
    """len(dataset) is the number of examples."""
    dataset = exercise.TransitionDataset(*_arrays())
    expect(len(dataset) == N, f"len(dataset) is {len(dataset)}, but the dataset holds {N} "
           "examples (rows of obs). __len__ returns the number of examples.")


def test_item_is_tensors(exercise):
    """dataset[i] is (float32 obs of shape (obs_dim,), 0-dim int64 action)."""
    obs, actions = _arrays()
    item = exercise.TransitionDataset(obs, actions)[7]
    expect(isinstance(item, tuple) and len(item) == 2,
           f"dataset[i] should be a pair (obs, action), got {type(item).__name__}.")
    concept = ("__getitem__ should return torch tensors with the dtypes the model uses: "
               "float32 observations (NumPy's float64 clashes with float32 weights) and int64 "
               "actions. torch.tensor(x, dtype=...) converts a NumPy value.")
    expect_tensor(item[0], name="the observation dataset[7] returns", shape=(OBS_DIM,),
                  dtype=torch.float32, values=torch.tensor(obs[7], dtype=torch.float32),
                  concept=concept)
    expect_tensor(item[1], name="the action dataset[7] returns", shape=(), dtype=torch.int64,
                  values=int(actions[7]), concept=concept)


def _epoch(loader):
    order, sizes = [], []
    for batch in loader:
        obs, actions = batch
        expect_tensor(obs, name="a batch of observations", shape=(obs.shape[0], OBS_DIM),
                      dtype=torch.float32)
        expect_tensor(actions, name="a batch of actions", shape=(obs.shape[0],),
                      dtype=torch.int64)
        sizes.append(obs.shape[0])
        order.extend(int(i) for i in obs[:, 0].round())
    return order, sizes


def test_every_example_once_per_epoch(exercise):
    """One epoch yields each of the 50 examples exactly once, in batches of 16, 16, 16 and 2."""
    loader = exercise.make_loader(exercise.TransitionDataset(*_arrays()), BATCH)
    torch.manual_seed(0)
    order, sizes = _epoch(loader)
    expect(sorted(order) == list(range(N)),
           f"One epoch gave {len(order)} examples (batch sizes {sizes}); all {N} should come "
           f"exactly once. {N} = 3 x {BATCH} + 2: a last batch of 2 is normal. drop_last=True "
           "throws the short batch away, so some examples are skipped in every epoch.")
    expect(sizes == [16, 16, 16, 2],
           f"The batch sizes are {sizes}, expected [16, 16, 16, 2]: pass batch_size through.")


def test_shuffled_each_epoch(exercise):
    """The order is random, and different in each epoch."""
    loader = exercise.make_loader(exercise.TransitionDataset(*_arrays()), BATCH)
    torch.manual_seed(0)
    first, _ = _epoch(loader)
    second, _ = _epoch(loader)
    expect(first != list(range(N)) and first != second,
           "The loader returns the examples in the same order every epoch"
           + (" (0, 1, 2, ...)" if first == list(range(N)) else "")
           + ". Consecutive logged transitions are strongly correlated; shuffle=True makes "
           "the DataLoader draw a new random order each epoch.")


def test_item_dtypes_whatever_the_arrays_hold(exercise):
    """float32 / int32 arrays (as some files and platforms give) still yield float32 and int64."""
    obs, actions = _arrays()
    item = exercise.TransitionDataset(obs.astype(np.float32), actions.astype(np.int32))[3]
    expect(isinstance(item, tuple) and len(item) == 2,
           f"dataset[i] should be a pair (obs, action), got {type(item).__name__}.")
    concept = ("The docstring promises float32 observations and int64 actions whatever the "
               "arrays hold: torch.as_tensor / torch.from_numpy keep the array's dtype (int32 "
               "stays int32, and cross_entropy wants int64 class indices); say the dtype: "
               "torch.tensor(x, dtype=torch.int64).")
    expect_tensor(item[0], name="the observation from a float32 array", shape=(OBS_DIM,),
                  dtype=torch.float32, concept=concept)
    expect_tensor(item[1], name="the action from an int32 array", shape=(), dtype=torch.int64,
                  values=int(actions[3]), concept=concept)


def _contract_inputs(draw):
    """Arrays as NumPy would hand them over: float64 observations, integer actions."""
    n = draw["examples"]
    obs = draw.randn(n, draw["obs_dim"], dtype=torch.float64)
    actions = draw.randint(5, n).to(draw["action_dtype"])
    return Args(obs, actions, index=n - 1)


def _item_from(dataset_class):
    def item(obs, actions, *, index):
        return dataset_class(obs.numpy(), actions.numpy())[index]
    return item


class _ReferenceDataset:
    def __init__(self, obs, actions):
        self.obs, self.actions = obs, actions

    def __getitem__(self, index):
        return (torch.tensor(self.obs[index], dtype=torch.float32),
                torch.tensor(self.actions[index], dtype=torch.int64))


def test_contract(exercise):
    """dataset[i] keeps its promise for one-feature observations, one example, int32 actions."""
    check_contract(Contract(
        function="TransitionDataset.__getitem__", call=_item_from(exercise.TransitionDataset),
        reference=_item_from(_ReferenceDataset), inputs=_contract_inputs,
        axes={"examples": [1, 5], "obs_dim": [1, 3], "action_dtype": [torch.int64, torch.int32]},
        gradients=False, budget=6,
        concept="dataset[i] is (obs[i] as a float32 tensor of shape (obs_dim,), even when "
                "obs_dim is 1; actions[i] as a 0-dim int64 tensor)."))

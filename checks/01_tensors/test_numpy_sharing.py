"""Check: torch.tensor copies, torch.from_numpy / torch.as_tensor share memory."""

import numpy as np
import torch

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract


def test_answer(exercise):
    """The question: which of the two tensors sees the write to the array?"""
    expect_choice(
        exercise, "ANSWER", correct="b",
        choices={
            "a": "both are 7.0",
            "b": "copied[0] is 0.0 and shared[0] is 7.0",
            "c": "copied[0] is 7.0 and shared[0] is 0.0",
            "d": "both are still 0.0",
        },
        why="torch.tensor(a) copied the zeros into memory of its own, so the write to a "
            "cannot reach it; torch.from_numpy(a) is a window onto a's memory, so it shows "
            "the 7.0.",
    )


def test_store_observation_is_a_snapshot(exercise):
    """A stored observation keeps its values when the environment overwrites its array."""
    obs = np.array([0.1, -0.2, 0.3, 0.4], dtype=np.float32)
    stored = exercise.store_observation(obs)
    expect_tensor(stored, name="the stored observation", shape=(4,), dtype=torch.float32,
                  values=[0.1, -0.2, 0.3, 0.4],
                  concept="Same shape and dtype as the array, same values.")
    obs[:] = 9.0  # the environment's next step writes into the same array
    expect_tensor(
        stored, name="the stored observation, after the environment wrote its next step",
        values=[0.1, -0.2, 0.3, 0.4],
        concept="It changed with the array: it shares the array's memory "
                "(torch.from_numpy and torch.as_tensor do not copy, nor does .float() on a "
                "tensor that is already float32). A snapshot needs a copy: torch.tensor(obs).",
    )


def test_store_observation_keeps_the_dtype(exercise):
    """float64 and int64 observations are stored as float64 and int64: same dtype as obs."""
    for array, dtype in ((np.array([0.1, 2.5], dtype=np.float64), torch.float64),
                         (np.array([3, -1, 4], dtype=np.int64), torch.int64)):
        want = torch.from_numpy(array.copy())
        stored = exercise.store_observation(array)
        expect_tensor(stored, name=f"store_observation(a {array.dtype} array)",
                      shape=array.shape, dtype=dtype, values=want,
                      concept="The docstring promises the same dtype as obs: copy without "
                              "converting (torch.tensor(obs) keeps it). Forcing float32 is "
                              "the network's business, not the replay buffer's.")
        array[:] = 9
        expect_tensor(stored, name=f"the stored {array.dtype} observation after the array "
                      "was overwritten", values=want,
                      concept="A snapshot must not share the array's memory.")


def test_replay_buffer_holds_every_step(exercise):
    """Three steps stored from one reused array stay three different observations."""
    obs = np.zeros(2, dtype=np.float32)
    buffer = []
    for step in range(3):
        obs[:] = [step, 10 * step]  # the environment reuses its observation array
        buffer.append(exercise.store_observation(obs))
    expect(all(isinstance(t, torch.Tensor) for t in buffer),
           "store_observation should return a torch.Tensor.")
    expect_tensor(
        torch.stack(buffer), name="the replay buffer after 3 steps", shape=(3, 2),
        values=[[0.0, 0.0], [1.0, 10.0], [2.0, 20.0]],
        concept="Every row should be a different step. Rows that all equal the last step "
                "mean each stored tensor shares the one array the environment keeps "
                "overwriting.",
    )


def test_shared_batch_shares_memory(exercise):
    """shared_batch wraps the array without copying: writes show through both ways."""
    batch = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = exercise.shared_batch(batch)
    expect_tensor(t, name="shared_batch(array of shape (2, 3))", shape=(2, 3),
                  dtype=torch.float32, values=batch.copy(),
                  concept="Same shape, dtype and values as the array.")
    concept = ("A shared tensor and its array are the same memory. torch.tensor(a) always "
               "copies; torch.from_numpy(a) and torch.as_tensor(a) do not.")
    batch[0, 0] = 100.0
    expect(t[0, 0].item() == 100.0,
           "After batch[0, 0] = 100 the tensor still holds "
           f"{t[0, 0].item():g} there: it is a copy, not a view of the array.\n" + concept)
    t[1, 2] = -1.0
    expect(batch[1, 2] == -1.0,
           "After writing -1 into the tensor the array did not change: the tensor is a copy.\n"
           + concept)


def test_shared_batch_keeps_the_dtype(exercise):
    """A float64 batch is shared as float64: converting the dtype would be a copy."""
    batch = np.linspace(0.0, 1.0, 6, dtype=np.float64).reshape(3, 2)
    t = exercise.shared_batch(batch)
    expect_tensor(t, name="shared_batch(a float64 array of shape (3, 2))", shape=(3, 2),
                  dtype=torch.float64, values=torch.from_numpy(batch.copy()),
                  concept="Same dtype as the array: asking for dtype=torch.float32 (or "
                          ".float()) on a float64 array converts, and converting copies.")
    batch[2, 1] = -5.0
    expect(t[2, 1].item() == -5.0,
           "The float64 batch was copied: a write to the array does not show in the tensor. "
           "torch.from_numpy(a) or torch.as_tensor(a) with no dtype share any dtype.")


def test_shared_batch_shares_a_strided_batch_too(exercise):
    """A batch that is a strided view (every other column, a transpose) is shared as it is."""
    concept = ("torch.from_numpy keeps the array's strides, so even a view that is not "
               "contiguous is shared. np.ascontiguousarray, .copy(), or .contiguous() on the "
               "tensor make a copy exactly when the batch is strided: the tensor stops seeing "
               "the array's writes.")
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    for label, batch in (("every other column, base[:, ::2]", base[:, ::2]),
                         ("a transpose, base.T", base.T)):
        t = exercise.shared_batch(batch)
        expect_tensor(t, name=f"shared_batch({label})", shape=batch.shape, dtype=torch.float32,
                      values=torch.from_numpy(batch.copy()), concept=concept)
        batch[1, 1] = -7.0
        expect(t[1, 1].item() == -7.0,
               f"With {label} as the batch, the tensor did not see batch[1, 1] = -7: it is a "
               "copy of a strided batch, not the batch itself.\n" + concept)


_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "uint8": np.uint8,
           "bool": np.bool_}


def _array(shape: tuple, dtype: str, layout: str, seed: int) -> np.ndarray:
    """A fresh array of the case's dtype, as the environment or a sampler might hand it over."""
    rng = np.random.default_rng(seed)
    if layout == "every other column":  # a strided view of a wider array
        wide = rng.integers(0, 50, size=(*shape[:-1], 2 * shape[-1])) if shape else rng.integers(0, 50)
        return (wide.astype(_DTYPES[dtype])[..., ::2] if shape else np.asarray(wide, _DTYPES[dtype]))
    values = rng.standard_normal(shape) * 20
    array = np.asarray(values).astype(_DTYPES[dtype])
    return array.T if layout == "transposed" else array


def _write_into(array: np.ndarray) -> None:
    array[...] = np.logical_not(array) if array.dtype == np.bool_ else array * 2 + 1


def _before_and_after(convert, shape, dtype, layout, seed):
    """The tensor's values as returned, and again after the array is written into."""
    array = _array(shape, dtype, layout, seed)
    tensor = convert(array)
    if not isinstance(tensor, torch.Tensor):
        return tensor
    before = tensor.clone()
    _write_into(array)
    return {"as returned": before, "after the array is written into": tensor}


def _case_inputs(draw):
    return Args(draw["shape"], draw["dtype"], draw["layout"], draw.seed())


_AXES = {"shape": [(), (1,), (3, 4)], "dtype": list(_DTYPES),
         "layout": ["contiguous", "transposed", "every other column"]}


def test_conversions_contract(exercise):
    """Any dtype, shape or layout: the snapshot never changes, the shared batch always does."""
    check_contract(Contract(
        function="store_observation",
        call=lambda *a: _before_and_after(exercise.store_observation, *a),
        reference=lambda *a: _before_and_after(lambda obs: torch.tensor(obs), *a),
        inputs=_case_inputs, axes=_AXES, budget=10,
        concept="A snapshot is a copy with the array's own dtype and shape, for any dtype "
                "(float64, int64, uint8, bool) and any layout: torch.tensor(obs). Later "
                "writes to the array must not reach it."))
    check_contract(Contract(
        function="shared_batch",
        call=lambda *a: _before_and_after(exercise.shared_batch, *a),
        reference=lambda *a: _before_and_after(torch.from_numpy, *a),
        inputs=_case_inputs, axes={**_AXES, "shape": [(1,), (3, 4), (2, 1, 3)]}, budget=10,
        concept="The shared batch is the array itself, for any dtype (float64, int64, uint8, "
                "bool) and any layout (a transpose, every other column): torch.from_numpy "
                "keeps the dtype and the strides. Converting the dtype or making it "
                "contiguous copies, and a copy does not see the array's next write."))

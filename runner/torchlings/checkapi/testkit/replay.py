"""Replay buffers judged by what does not depend on the random stream.

A buffer may draw its minibatch with any uniform draw from the generator it is
given (randint, multinomial, scaled uniform floats), so two right buffers
return different rows for the same seed. `replay_session` runs a buffer
through adds and samples and returns what a right buffer gives whatever its
stream: len() after every add; per batch, whether it is a view of the
buffer's own storage, how many rows are not among the transitions it holds
now, and each field minus the held transition its row is (zeros, in the
buffer's dtype and shape, when right); and whether one large batch draws
every held transition about equally often. Run on the learner's class and
on a reference inside a contract (testkit.harness), the two results are equal
exactly when the learner's keeps its promise. `explain_replay` turns the
harness's account of a difference into the words a learner needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchlings.checkapi.failures import fail, with_concept
from torchlings.checkapi.testkit.rl import binomial_bounds

__all__ = ["PER_SLOT", "explain_replay", "replay_session"]

PER_SLOT = 400  # draws per held transition in the evenness probe: counts of about 400 +- 120
_SAME_ROW = 1e-5  # an observation matches a held one within this (both are float32 values)

Transition = tuple[Any, ...]  # the arguments of one add()
Held = Callable[[Sequence[Transition]], tuple[torch.Tensor, ...]]  # their fields, as sampled


def replay_session(buffer: Any, transitions: Sequence[Transition], held: Held, *, capacity: int,
                   batch_size: int, seed: int) -> dict[str, Any]:
    """Add the transitions in two runs, sampling twice after each; then one large batch.

    `held(transitions)` gives the fields a right batch's rows come from (field 0, the
    observation, identifies a row, so the check makes every observation different). Callers
    reuse their memory, and a buffer must not change with it: after each add, the arrays and
    tensors handed to it are overwritten (as an environment writes its next observation into
    the same array), and after each batch is judged it is zeroed.
    """
    every = tuple(field.clone() for field in held(transitions))

    def held_after(adds: int) -> tuple[torch.Tensor, ...]:
        start = max(adds - capacity, 0)
        return tuple(field[start:adds] for field in every)

    generator = torch.Generator().manual_seed(seed)
    lengths: list[Any] = []
    shared: list[bool] = []
    not_held: list[int] = []
    batches: list[Any] = []
    middle = (len(transitions) + 1) // 2
    for stop in (middle, len(transitions)):
        for transition in transitions[len(lengths):stop]:
            buffer.add(*transition)
            lengths.append(len(buffer))
            _overwrite(transition)
        fields = held_after(stop)
        for _ in range(2):
            batch = buffer.sample(batch_size, generator)
            shared.append(_shares_memory(batch, buffer))
            rows, judged = _judged(batch, fields, batch_size)
            not_held.append(rows)
            batches.append(judged)
            for tensor in batch if isinstance(batch, (tuple, list)) else ():
                if isinstance(tensor, torch.Tensor):
                    tensor.detach().zero_()
    even = _draws_evenly(buffer, held_after(len(transitions)), generator)
    return {"len": lengths, "shares buffer memory": shared, "rows not held": not_held,
            "batches": batches, "draws even": even}


def _overwrite(transition: Transition) -> None:
    """The caller reuses what it handed to add(): every array and tensor in it changes."""
    for value in transition:
        if isinstance(value, torch.Tensor):
            value.detach().fill_(99.0)
        elif isinstance(value, np.ndarray):
            value.fill(99.0)


def _readable(batch: Any, fields: tuple[torch.Tensor, ...], batch_size: int) -> bool:
    """A tuple of tensors, one per field, whose observations are (batch_size, obs_dim)."""
    if not (isinstance(batch, (tuple, list)) and len(batch) == len(fields)
            and all(isinstance(t, torch.Tensor) for t in batch)):
        return False
    obs = batch[0]
    return obs.dim() == 2 and tuple(obs.shape) == (batch_size, fields[0].shape[1])


def _matches(obs: torch.Tensor, held_obs: torch.Tensor) -> torch.Tensor:
    """(B, H) bool: row b's observation is held transition h's."""
    distance = (obs.detach().double()[:, None, :] - held_obs.double()[None]).abs().amax(-1)
    return distance < _SAME_ROW


def _judged(batch: Any, fields: tuple[torch.Tensor, ...], batch_size: int) -> tuple[int, Any]:
    """(rows not held, each field minus the held transition of its row).

    A batch that cannot be matched row by row (not a tuple of tensors, a squeezed batch dim)
    comes back as it is, for the harness to name what differs from the reference's.
    """
    if not _readable(batch, fields, batch_size):
        return 0, batch
    matched = _matches(batch[0], fields[0])
    ids = matched.float().argmax(dim=1)
    judged = []
    for got, want in zip(batch, fields, strict=True):
        try:
            judged.append(got - want[ids].to(got.dtype))
        except (RuntimeError, TypeError):  # a bool tensor, a shape that does not line up
            judged.append(got)
    return int((~matched.any(dim=1)).sum()), tuple(judged)


def _shares_memory(batch: Any, buffer: Any) -> bool:
    """Whether a sampled tensor is a view of one of the buffer's own tensors."""
    owned = {t.untyped_storage().data_ptr() for t in vars(buffer).values()
             if isinstance(t, torch.Tensor)}
    return any(isinstance(t, torch.Tensor) and t.untyped_storage().data_ptr() in owned
               for t in (batch if isinstance(batch, (tuple, list)) else ()))


def _draws_evenly(buffer: Any, fields: tuple[torch.Tensor, ...], generator: torch.Generator) -> bool | str:
    """One batch of PER_SLOT draws per held transition: is each drawn about equally often?

    Each count must fall within 6 binomial standard deviations, which a right buffer misses
    by chance less than once in a few hundred million runs. A batch that cannot be read
    comes back as a description (the observations' shape), which the explanation names.
    """
    stored = fields[0].shape[0]
    batch_size = PER_SLOT * stored
    batch = buffer.sample(batch_size, generator)
    if not _readable(batch, fields, batch_size):
        obs = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
        return (f"observations of shape {tuple(obs.shape)}" if isinstance(obs, torch.Tensor)
                else repr(obs)[:60])
    counts = _matches(batch[0], fields[0]).sum(dim=0)
    low, high = binomial_bounds(batch_size, 1 / stored)
    return bool(((counts >= low) & (counts <= high)).all())


def explain_replay(case: Any, got: Any, want: Any, *, names: Sequence[str], dtypes: str,
                   concept: str) -> None:
    """Fail with the learner's words for a difference `replay_session` found; return if none fits.

    `case.inputs.args` starts (capacity, ..., transitions, batch_size, seed) as the checks
    pass them: capacity first, the transitions and batch size before the seed. `names` are
    the fields in sampled order; `dtypes` says in a sentence which dtype each is.
    """
    capacity, transitions = case.inputs.args[0], case.inputs.args[-3]
    stored = min(len(transitions), capacity)
    _explain_shape(case, got, want, names, concept)
    if "['len']" in case.problem:
        fail(with_concept(
            f"After 1, 2, ..., {len(transitions)} adds to a buffer of capacity {capacity}, len() "
            f"was {got['len']}; expected {want['len']}. The size grows by one per add until it "
            "reaches the capacity, and stays there: min(size + 1, capacity).", concept))
    if "['shares buffer memory']" in case.problem:
        fail(with_concept(
            f"With {case.label}, sample returned a view of the buffer's own storage: when the "
            "caller changes the batch (normalises it in place, say), the stored transitions "
            "change too. Return new tensors: indexing with an index tensor (store[index]) "
            "copies; a slice (store[i:j]) does not.", concept))
    if "['rows not held']" in case.problem:
        fail(with_concept(
            f"With {case.label}, a sampled batch held rows that are not among the transitions "
            "the buffer keeps (the newest min(adds, capacity)): slots never written, "
            "transitions that should have been overwritten, or values that changed when the "
            "caller reused the arrays it handed to add() (keep copies, not references). Write "
            "at the moving position, move it on by (position + 1) % capacity, and draw indices "
            "from range(len(self)).",
            concept))
    if isinstance(got.get("draws even"), str):
        fail(with_concept(
            f"Asked for a batch of {PER_SLOT * stored} from a buffer holding {stored} "
            f"transitions ({case.label}), sample returned {got['draws even']}. Draws are "
            "independent and with replacement, so a batch may be larger than the buffer: "
            "torch.randint(len(self), (batch_size,), generator=generator), not a permutation "
            "(randperm).", concept))
    if "['draws even']" in case.problem:
        fail(with_concept(
            f"With {case.label}, a batch of {PER_SLOT} draws per stored transition drew some "
            "transitions far more often than others. Each index must be uniform over "
            "range(len(self)) (not a draw over the capacity folded back with %, not rounded "
            "floats): torch.randint(len(self), (batch_size,), generator=generator).", concept))
    field = re.search(r"\['batches'\]\[\d+\]\[(\d)\]", case.problem)
    if field is None:
        return
    name = names[int(field.group(1))]
    if " has dtype " in case.problem:
        fail(with_concept(
            f"The sampled {name} come back in another dtype than promised "
            f"({case.problem.split(':')[0].removeprefix('the ')}): {dtypes}", concept))
    if " at index " in case.problem:
        fail(with_concept(
            f"With {case.label}, the sampled {name} do not belong, row by row, to the "
            "transition whose observation sits in the same row. Store each field of a "
            f"transition in the same slot, and index every field with the same index tensor.\n"
            f"({case.problem})", concept))


def _explain_shape(case: Any, got: Any, want: Any, names: Sequence[str], concept: str) -> None:
    """A batch whose shapes break the promise, named before what follows from it."""
    for got_batch, want_batch in zip(got["batches"], want["batches"], strict=True):
        if not (isinstance(got_batch, (tuple, list)) and len(got_batch) == len(names)):
            continue  # the harness's account names the structure
        for name, mine, theirs in zip(names, got_batch, want_batch, strict=True):
            if isinstance(mine, torch.Tensor) and mine.shape != theirs.shape:
                one = (" A batch of one keeps its batch dim like any batch: index with a 1-D "
                       "index tensor of batch_size entries and do not squeeze()."
                       if theirs.shape[0] == 1 else "")
                fail(with_concept(
                    f"With {case.label}, the sampled {name} have shape {tuple(mine.shape)}; the "
                    f"promise gives {tuple(theirs.shape)}.{one}", concept))

"""Check: a running mean/var observation normaliser with buffers, Chan's merge, no grad."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

DIM = 3
CONCEPT_BUFFERS = (
    "self.register_buffer('mean', torch.zeros(obs_dim)), likewise 'var' (ones) and 'count' "
    "(torch.tensor(0.0)): saved in state_dict, moved by .to(), never trained."
)
CONCEPT_MERGE = (
    "Chan's merge: delta = m_b - m; total = c + n; m' = m + delta * n / total; "
    "v' = (v * c + v_b * n + delta**2 * c * n / total) / total; c' = total; "
    "v_b = obs.var(dim=0, correction=0) (population variance)."
)
CONCEPT_MODE = (
    "forward: under torch.no_grad(), `if self.training: self.update(obs)`, then "
    "(obs - mean) / sqrt(var + eps), clamped to [-clip, clip] when clip is set."
)


def _batches(sizes, seed=0, dtype=torch.float32):
    """Batches whose means and spreads differ, so a merge that ignores sizes shows."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i, n in enumerate(sizes):
        scale = torch.tensor([1.0, 10.0, 0.1], dtype=dtype) * (1 + i)
        out.append(torch.randn(n, DIM, generator=g, dtype=dtype) * scale + 3.0 * i - 2.0)
    return out


def _stats(batches):
    data = torch.cat(batches).double()
    return data.mean(0), data.var(0, correction=0), data.shape[0]


def _expect_stats(norm, batches, when):
    mean, var, count = _stats(batches)
    if len(batches) == 1 and count > 1:
        sample_var = batches[0].double().var(0)
        expect(not torch.allclose(norm.var.double(), sample_var, atol=1e-5),
               f"The running variance {when} is the sample variance (dividing by n - 1, "
               "torch's default). The statistics use the population variance, dividing by n: "
               "var(dim=0, correction=0).\n" + CONCEPT_MERGE)
    expect_tensor(norm.count, name=f"count {when}", values=float(count), atol=1e-6,
                  concept="count is the number of rows seen so far (it starts at 0; SB3's "
                  "RunningMeanStd starts at 1e-4, this one at 0). " + CONCEPT_MERGE)
    expect_tensor(norm.mean, name=f"the running mean {when}", shape=(DIM,), values=mean,
                  atol=1e-4, rtol=1e-4, concept="The running mean must equal the mean of every "
                  "row seen so far, each row counted once. " + CONCEPT_MERGE)
    expect_tensor(norm.var, name=f"the running variance {when}", shape=(DIM,), finite=True,
                  values=var, atol=1e-4, rtol=1e-4, concept="The running variance must equal "
                  "the population variance of every row seen so far. " + CONCEPT_MERGE)


def test_statistics_are_buffers(exercise):
    """mean, var and count are buffers: in state_dict, not parameters, starting at 0, 1, 0."""
    norm = exercise.ObsNormalizer(DIM)
    expect(isinstance(norm, nn.Module), "ObsNormalizer should be an nn.Module.")
    params = [name for name, _ in norm.named_parameters()]
    expect(not params, f"{', '.join(params)} are nn.Parameters: an optimizer given "
           "model.parameters() would 'train' the statistics. They are counted, not learned.\n"
           + CONCEPT_BUFFERS)
    saved = norm.state_dict()
    missing = [key for key in ("mean", "var", "count") if key not in saved]
    expect(not missing, f"state_dict() has no {', '.join(missing)}: plain attributes are not "
           "saved, and a policy trained on normalised inputs is useless without its "
           "statistics.\n" + CONCEPT_BUFFERS)
    expect_tensor(saved["mean"], name="the initial mean", shape=(DIM,), dtype=torch.float32,
                  values=0.0, concept=CONCEPT_BUFFERS)
    expect_tensor(saved["var"], name="the initial variance", shape=(DIM,), dtype=torch.float32,
                  values=1.0, concept=CONCEPT_BUFFERS)
    expect_tensor(saved["count"], name="the initial count", shape=(), values=0.0,
                  concept="The count starts at 0 here (SB3's RunningMeanStd starts it at 1e-4); "
                  "the first batch then simply becomes the statistics. " + CONCEPT_BUFFERS)


def test_first_batch_becomes_the_statistics(exercise):
    """update() with one batch of 7 gives its mean, population variance and count 7."""
    norm = exercise.ObsNormalizer(DIM)
    batches = _batches([7])
    norm.update(batches[0])
    _expect_stats(norm, batches, "after one update with 7 rows")


def test_first_batch_of_one(exercise):
    """A first batch of a single row: variance 0, not NaN (population variance)."""
    norm = exercise.ObsNormalizer(DIM)
    batches = _batches([1], seed=1)
    norm.update(batches[0])
    expect_tensor(norm.var, name="the variance after one row", shape=(DIM,), finite=True,
                  concept="torch's default var() divides by n - 1: NaN for one row. Use "
                  "var(dim=0, correction=0). " + CONCEPT_MERGE)
    _expect_stats(norm, batches, "after one update with a single row")


def test_batches_of_different_sizes_merge_exactly(exercise):
    """Batches of 5, 1, 12 and 2 rows: the statistics equal those of all 20 rows together."""
    norm = exercise.ObsNormalizer(DIM)
    batches = _batches([5, 1, 12, 2], seed=2)
    for i, batch in enumerate(batches):
        norm.update(batch)
        _expect_stats(norm, batches[: i + 1], f"after batches of {[len(b) for b in batches[:i + 1]]}"
                      " rows")


def test_train_mode_updates_then_normalises(exercise):
    """In train mode forward merges the batch first, then normalises with the new statistics."""
    norm = exercise.ObsNormalizer(DIM)
    batches = _batches([6, 9], seed=3)
    out = None
    for i, batch in enumerate(batches):
        out = norm(batch)
        _expect_stats(norm, batches[: i + 1], f"after forward on {i + 1} batch(es) in train mode")
    mean, var, _ = _stats(batches)
    expect_tensor(out, name="the normalised second batch", shape=(9, DIM), dtype=torch.float32,
                  values=(batches[1].double() - mean) / torch.sqrt(var + 1e-8), atol=1e-4,
                  rtol=1e-4, concept=CONCEPT_MODE)


def test_eval_mode_does_not_update(exercise):
    """In eval mode forward only normalises; the statistics stay put."""
    norm = exercise.ObsNormalizer(DIM)
    seen, new = _batches([10], seed=4), _batches([4, 5], seed=5)[1]
    norm.update(seen[0])
    norm.eval()
    out = norm(new)
    expect(abs(float(norm.count) - 10) < 1e-6,
           f"forward in eval mode changed the statistics (count went from 10 to "
           f"{float(norm.count):g}). Evaluation must not shift what the policy sees: update "
           "only when self.training is True.\n" + CONCEPT_MODE)
    _expect_stats(norm, seen, "after forward in eval mode (it should not have changed)")
    mean, var, _ = _stats(seen)
    expect_tensor(out, name="the batch normalised in eval mode", shape=(5, DIM),
                  values=(new.double() - mean) / torch.sqrt(var + 1e-8), atol=1e-4, rtol=1e-4,
                  concept="Evaluating a policy must not shift what it sees. " + CONCEPT_MODE)


def test_no_graph_reaches_the_statistics(exercise):
    """Observations that require grad leave no graph in the buffers or the output."""
    norm = exercise.ObsNormalizer(DIM)
    obs = _batches([8], seed=6)[0].requires_grad_(True)
    out = norm(obs)
    for name in ("mean", "var", "count"):
        expect_tensor(getattr(norm, name), name=f"the buffer {name} after forward",
                      requires_grad=False, grad_fn=False,
                      concept="The statistics are counted, not learned: merge them under "
                      "torch.no_grad(). " + CONCEPT_MODE)
    expect_tensor(out, name="the normalised output", requires_grad=False, grad_fn=False,
                  concept=CONCEPT_MODE)


def test_clip_and_edges(exercise):
    """clip bounds the output; a constant feature and a far-out observation stay finite."""
    norm = exercise.ObsNormalizer(DIM, clip=2.0)
    batch = _batches([16], seed=7)[0]
    batch[:, 2] = 5.0  # a feature that never changes: variance 0
    norm.update(batch)
    probe = batch[:4].clone()
    probe[0] = torch.tensor([1e4, -1e4, 5.0])
    mean, var, _ = _stats([batch])
    want = ((probe.double() - mean) / torch.sqrt(var + 1e-8)).clamp(-2.0, 2.0)
    norm.eval()
    expect_tensor(norm(probe), name="the clipped output", shape=(4, DIM), finite=True,
                  values=want, atol=1e-4, rtol=1e-4,
                  concept="eps keeps a zero variance finite; clip bounds the output to "
                  "[-clip, clip]. " + CONCEPT_MODE)
    unclipped = exercise.ObsNormalizer(DIM)
    unclipped.update(batch)
    unclipped.eval()
    far = unclipped(probe)
    expect_tensor(far, name="the output with clip=None", finite=True, concept=CONCEPT_MODE)
    expect(float(far.abs().max()) > 100.0,
           "With clip=None the output must not be clipped: a far-out observation gives a "
           "large normalised value.\n" + CONCEPT_MODE)


def test_saved_and_restored_with_the_model(exercise):
    """state_dict into a fresh normaliser gives the same output; float64 stays float64."""
    norm = exercise.ObsNormalizer(DIM)
    for batch in _batches([6, 3], seed=8):
        norm(batch)
    fresh = exercise.ObsNormalizer(DIM)
    fresh.load_state_dict(norm.state_dict())
    norm.eval()
    fresh.eval()
    probe = _batches([5], seed=9)[0]
    expect_tensor(fresh(probe), name="the restored normaliser's output", values=norm(probe),
                  concept="Everything the normaliser knows must live in its buffers. "
                  + CONCEPT_BUFFERS)
    probe64 = probe.double()
    before = probe64.clone()
    out = fresh(probe64)
    expect_tensor(out, name="the output for a float64 batch", shape=(5, DIM),
                  dtype=torch.float64, concept="Keep the input's dtype.")
    expect_tensor(probe64, name="the caller's observations after forward", values=before,
                  concept="Normalise into a new tensor; never change the caller's batch.")


class _ReferenceNormalizer(nn.Module):
    """The docstring's normaliser, written once."""

    def __init__(self, obs_dim, eps=1e-8, clip=None):
        super().__init__()
        self.eps, self.clip = eps, clip
        self.register_buffer("mean", torch.zeros(obs_dim))
        self.register_buffer("var", torch.ones(obs_dim))
        self.register_buffer("count", torch.tensor(0.0))

    @torch.no_grad()
    def update(self, obs):
        n, m_b, v_b = obs.shape[0], obs.mean(0), obs.var(0, correction=0)
        delta, total = m_b - self.mean, self.count + n
        self.var.copy_((self.var * self.count + v_b * n + delta.pow(2) * self.count * n / total)
                       / total)
        self.mean.copy_(self.mean + delta * n / total)
        self.count.fill_(total)

    def forward(self, obs):
        with torch.no_grad():
            if self.training:
                self.update(obs)
            out = (obs - self.mean) / torch.sqrt(self.var + self.eps)
            return out if self.clip is None else out.clamp(-self.clip, self.clip)


def _session(normalizer_class):
    """Train on some batches, evaluate one, merge one with update(), train once more; return
    every output and the buffers as state_dict holds them."""
    def run(obs_dim, batches, *, eps, clip):
        norm = normalizer_class(obs_dim, eps=eps, clip=clip)
        first, second, probe, merged, last = batches
        outputs = [norm(first), norm(second)]
        norm.eval()
        outputs.append(norm(probe))
        norm.update(merged)
        norm.train()
        outputs.append(norm(last))
        return outputs, {k: v.clone() for k, v in norm.state_dict().items()}
    return run


def _explain_contract(case, got, want):
    """Name the buffer mistakes; the harness's account covers the rest."""
    drifted = []
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], dict):
        drifted = [f"{name} is {value.dtype}".replace("torch.", "") for name, value in got[1].items()
                   if isinstance(value, torch.Tensor) and value.dtype != torch.float32]
    if drifted:
        fail(f"After a session with {case.label}, state_dict holds buffers that are not "
             f"float32: {', '.join(drifted)}. The buffers stay float32 whatever the input's "
             "dtype: write into them in place (self.mean.copy_(...), self.count.fill_(...)) "
             "rather than rebinding self.mean = ..., and start count as torch.tensor(0.0).\n"
             + CONCEPT_BUFFERS)


def _explain_far_from_zero(learner_class):
    """A variance by E[x^2] - E[x]^2 is right near 0 and cancels away far from it: if the same
    session shifted to near 0 passes, say so."""
    def diagnose(case, got, want):
        _explain_contract(case, got, want)
        if case.axes["offset"] < 100:
            return
        obs_dim, batches = case.inputs.args
        centre = batches[0].detach().double().mean(0)
        near_zero = [(b.detach().double() - centre).to(b.dtype) for b in batches]
        try:
            mine, _ = _session(learner_class)(obs_dim, near_zero, **case.inputs.kwargs)
        except Exception:  # noqa: BLE001  (the harness's account of the case stands)
            return
        theirs, _ = _session(_ReferenceNormalizer)(obs_dim, near_zero, **case.inputs.kwargs)
        if all(isinstance(m, torch.Tensor) and m.shape == t.shape
               and torch.allclose(m.double(), t.double(), atol=1e-4, rtol=1e-4)
               for m, t in zip(mine, theirs, strict=True)):
            fail(f"Your normaliser is right for features near 0 but not for features far from 0 "
                 f"for their spread ({case.label}: values around 300 times their standard "
                 "deviation, like a pixel count or a position on a long track). A variance "
                 "taken as mean(x^2) - mean(x)^2 subtracts two nearly equal large numbers and "
                 "loses most of its digits in float32. Take the batch variance as "
                 "obs.var(dim=0, correction=0) (it subtracts the mean first), and merge with "
                 "the formulas in the docstring.\n" + CONCEPT_MERGE)
    return diagnose


def test_contract(exercise):
    """ObsNormalizer keeps its promise for every obs_dim, batch size, dtype and feature scale."""
    def inputs(draw):
        d = draw["obs_dim"]
        # Features on different scales; the smallest has a variance near eps. Mean and spread
        # scale together, and every value is a float32 number, so float32 rounding of the
        # statistics is no part of the verdict. An offset of 300 spreads: features far from 0
        # for their spread (a pixel count, a position on a long track), where a variance
        # taken as E[x^2] - E[x]^2 cancels away in float32.
        scale = torch.logspace(0, draw["spread"], d)

        def batch(rows):
            x = ((draw.randn(rows, d, dtype=torch.float32) + draw["offset"]) * scale
                 ).to(draw["dtype"])
            return x.requires_grad_() if draw["attached"] else x
        sizes = (draw["first"], 5, 3, 4, 2)
        return Args(d, [batch(rows) for rows in sizes], eps=1e-8, clip=draw["clip"])
    check_contract(Contract(
        function="ObsNormalizer", call=_session(exercise.ObsNormalizer),
        reference=_session(_ReferenceNormalizer), inputs=inputs,
        axes={"obs_dim": [1, 4], "first": [1, 6], "dtype": [torch.float32, torch.float64],
              "spread": [0.0, -4.0], "offset": [3.0, 300.0], "clip": [None, 1.5], "attached": [False, True]},
        atol=1e-4, rtol=1e-4, tolerance={torch.float64: (1e-4, 1e-4)},
        diagnose=_explain_far_from_zero(exercise.ObsNormalizer),
        concept=CONCEPT_MERGE + " " + CONCEPT_MODE))

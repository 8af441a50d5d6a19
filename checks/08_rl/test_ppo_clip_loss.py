"""Check: PPO's clipped surrogate loss: ratio, clip side, and detached old log-probs."""

import torch

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "ratio = exp(new_log_probs - old_log_probs.detach()); loss = -min(ratio * A, "
    "clamp(ratio, 1 - eps, 1 + eps) * A).mean(). The min makes the clip bite only where "
    "moving further would help: above 1 + eps for A > 0, below 1 - eps for A < 0. "
    "(CleanRL's torch.max(-ratio * A, -clamped * A) is the same loss: max of the NEGATED "
    "terms; a max of the terms themselves puts the clip on the wrong side.)"
)
B, N_ACTIONS = 6, 3


def _reference(new, old, adv, eps):
    ratio = torch.exp(new.detach() - old.detach())
    objective = torch.min(ratio * adv, ratio.clamp(1 - eps, 1 + eps) * adv)
    return -objective.mean()


def test_unchanged_policy(exercise):
    """Before any update: ratio 1, loss = -mean(A), and the policy gradient still flows."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(B, N_ACTIONS, generator=g).requires_grad_()
    actions = torch.randint(N_ACTIONS, (B,), generator=g)
    advantages = torch.randn(B, generator=g)
    rows = torch.arange(B)
    # Both computed from the same policy, as in PPO's first epoch: old is still attached.
    old_log_probs = torch.log_softmax(logits, -1)[rows, actions]
    new_log_probs = torch.log_softmax(logits, -1)[rows, actions]
    loss = exercise.ppo_clip_loss(new_log_probs, old_log_probs, advantages, 0.2)
    expect_tensor(loss, name="the PPO loss", shape=(), grad_fn=True, concept=CONCEPT)
    if abs(loss.item()) < 1e-5 < abs(advantages.mean().item()):
        fail("At ratio 1 the loss is 0, where -mean(A) is "
             f"{-advantages.mean().item():.4f}: the advantages were normalised to mean 0 "
             "inside the loss. CleanRL and SB3 normalise them in the training loop, right "
             "before calling the loss; this function takes them as given.\n" + CONCEPT)
    if abs(loss.item() + advantages.sum().item()) < 1e-4:
        fail(f"At ratio 1 the loss is {loss.item():.4f}, -sum(A), where -mean(A) is "
             f"{-advantages.mean().item():.4f}: the loss is summed over the batch. Average it "
             "with .mean(), so its size (and the step it causes) does not grow with the "
             "batch.\n" + CONCEPT)
    expect_close(loss.item(), -advantages.mean().item(),
                 name="the PPO loss when the policy has not changed (ratio = 1)", atol=1e-5,
                 concept="With new = old the ratio is 1 and nothing is clipped, so the loss "
                 "is -mean(A). " + CONCEPT)
    loss.backward()
    reference_logits = logits.detach().clone().requires_grad_()
    log_p = torch.log_softmax(reference_logits, -1)[rows, actions]
    (-(log_p * advantages).mean()).backward()
    expect(logits.grad is not None and logits.grad.abs().sum() > 0,
           "At ratio = 1 the PPO loss gave the policy a zero gradient. Old and new log-probs "
           "came from the same graph here, and without old_log_probs.detach() their "
           "gradients cancel inside new - old: PPO would never learn.\n" + CONCEPT)
    if torch.allclose(logits.grad, reference_logits.grad / 2, atol=1e-6):
        fail("At ratio = 1 the PPO loss gives half the policy gradient. Inside the clip range "
             "both terms of the min are equal, and torch.min shares the gradient between them: "
             "the clipped term must carry the graph too. Build it from the same ratio (no "
             ".detach(), no number rebuilt outside autograd).\n" + CONCEPT)
    expect_tensor(logits.grad, name="the gradient of the PPO loss for the logits at ratio 1",
                  values=reference_logits.grad, atol=1e-5,
                  concept="At ratio = 1 PPO's gradient is the plain policy gradient of "
                  "-(log pi * A).mean(). " + CONCEPT)


def test_old_log_probs_get_no_gradient(exercise):
    """No gradient flows into the old log-probs."""
    g = torch.Generator().manual_seed(1)
    new = (torch.randn(B, generator=g) * 0.1 - 1).requires_grad_()
    old = (new.detach() + torch.randn(B, generator=g) * 0.1).requires_grad_()
    loss = exercise.ppo_clip_loss(new, old, torch.randn(B, generator=g), 0.2)
    loss.backward()
    expect(old.grad is None or not bool(old.grad.any()),
           "backward put a gradient into old_log_probs. They record the policy that collected "
           "the data, which is fixed: use old_log_probs.detach() in the ratio.\n" + CONCEPT)


def test_clip_side(exercise):
    """The clip zeroes the gradient only where moving further would help."""
    eps = 0.2
    ratios = torch.tensor([1.5, 0.5, 1.5, 0.5, 1.1, 0.9])
    advantages = torch.tensor([1.0, 1.0, -1.0, -1.0, 2.0, -2.0])
    cases = [
        "A > 0, ratio 1.5 (already above 1 + eps): clipped, no gradient",
        "A > 0, ratio 0.5 (good action made less likely): not clipped, full gradient",
        "A < 0, ratio 1.5 (bad action made more likely): not clipped, full gradient",
        "A < 0, ratio 0.5 (already below 1 - eps): clipped, no gradient",
        "A > 0, ratio 1.1 (inside the clip range): full gradient",
        "A < 0, ratio 0.9 (inside the clip range): full gradient",
    ]
    old = torch.full((B,), -1.0)
    new = (old + ratios.log()).requires_grad_()
    loss = exercise.ppo_clip_loss(new, old, advantages, eps)
    expect_tensor(loss, name="the PPO loss", shape=(), grad_fn=True, concept=CONCEPT)
    with torch.no_grad():
        ratio_ = new.exp() / old.exp()
        terms = (ratio_ * advantages, ratio_.clamp(1 - eps, 1 + eps) * advantages)
        with_max = -torch.max(*terms).mean().item()
    if abs(loss.item() - with_max) < 1e-5 < abs(with_max - _reference(new, old, advantages,
                                                                        eps).item()):
        fail("The loss is -max(ratio * A, clipped * A).mean(): the max of the objectives "
             "puts the clip on the wrong side (it keeps the gradient exactly where moving "
             "further would overshoot). Take the min of the two objectives and negate it; "
             "CleanRL's torch.max(-ratio * A, -clipped * A) is that same loss, because it takes "
             "the max of the NEGATED terms.\n" + CONCEPT)
    loss.backward()
    # Where each sample's gradient should vanish says the most about the clip: look first.
    clipped = torch.tensor([True, False, False, True, False, False])
    want = torch.where(clipped, torch.zeros(B), -(ratios * advantages) / B)
    for i, case in enumerate(cases):
        expect_close(new.grad[i].item(), want[i].item(), atol=1e-5,
                     name=f"the gradient for sample {i} ({case})", concept=CONCEPT)
    expect_close(loss.item(), _reference(new, old, advantages, eps).item(),
                 name="the PPO loss for ratios [1.5, 0.5, 1.5, 0.5, 1.1, 0.9] and "
                 "A = [1, 1, -1, -1, 2, -2]", atol=1e-5, concept=CONCEPT)


def test_random_batch(exercise):
    """A random batch with several clip values matches the reference loss."""
    g = torch.Generator().manual_seed(2)
    for eps in (0.1, 0.2, 0.3):
        old = torch.randn(32, generator=g) - 1.5
        new = (old + torch.randn(32, generator=g) * 0.4).requires_grad_()
        advantages = torch.randn(32, generator=g)
        loss = exercise.ppo_clip_loss(new, old, advantages, eps)
        expect_tensor(loss, name=f"the PPO loss with eps = {eps}", shape=(),
                      values=_reference(new, old, advantages, eps), atol=1e-5, concept=CONCEPT)


def test_unlikely_actions_stay_finite(exercise):
    """Log-probs near -150 (legal for rare actions) give a finite, right loss: exp of the difference."""
    old = torch.tensor([-150.0, -120.0, -3.0, -200.0])
    new = (old + torch.tensor([0.1, -0.3, 0.05, 0.0])).requires_grad_()
    advantages = torch.tensor([1.0, -1.0, 0.5, 2.0])
    loss = exercise.ppo_clip_loss(new, old, advantages, 0.2)
    expect_tensor(loss, name="the PPO loss for actions with log-probs near -150", shape=(),
                  finite=True, values=_reference(new, old, advantages, 0.2), atol=1e-5,
                  concept="exp(-150) underflows to 0 in float32, so exp(new) / exp(old) is "
                  "0 / 0 = NaN. The ratio is exp(new_log_probs - old_log_probs): subtract in "
                  "log space first. " + CONCEPT)


def test_inputs_left_as_they_were(exercise):
    """The caller's tensors are unchanged: old_log_probs keeps its graph (detach a copy)."""
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(B, N_ACTIONS, generator=g).requires_grad_()
    actions = torch.randint(N_ACTIONS, (B,), generator=g)
    log_p = torch.log_softmax(logits, -1)[torch.arange(B), actions]
    old = log_p * 1.0  # attached, as a buffer filled with grad on would hand it over
    advantages = torch.randn(B, generator=g)
    for _ in range(2):
        inputs = InputSnapshot(new_log_probs=log_p, old_log_probs=old, advantages=advantages)
        exercise.ppo_clip_loss(log_p, old, advantages, 0.2)
        inputs.expect_untouched(function="ppo_clip_loss", concept=(
            "old_log_probs.detach() makes a new tensor for the ratio; detach_() changes the "
            "caller's. " + CONCEPT))


# --- the contract: the formula, beyond the examples ------------------------------------

LOG_PROBS = {"moderate": (0.1, 3.0), "rare actions": (100.0, 300.0)}  # -log pi, low..high
LOG_RATIOS = {"small": 0.1, "past the clip": 1.5, "far past it": 15.0}  # spread of new - old


def _formula(new, old, adv, clip_eps=0.2):
    ratio = torch.exp(new - old.detach())
    return -torch.min(ratio * adv, ratio.clamp(1 - clip_eps, 1 + clip_eps) * adv).mean()


def _inputs(draw):
    low, high = LOG_PROBS[draw["log-probs"]]
    batch = draw["batch"]
    old = -(low + (high - low) * draw.rand(batch))
    new = (old + draw.randn(batch, scale=LOG_RATIOS[draw["log-ratio"]])).requires_grad_()
    if draw["old has a graph"]:
        old = old.requires_grad_()  # a buffer filled with grad on: no gradient may reach it
    advantages = draw.randn(batch)
    how = draw["clip_eps"]
    if how == "default":
        return Args(new, old, advantages)
    if how[0] == "keyword":
        return Args(new, old, advantages, clip_eps=how[1])
    return Args(new, old, advantages, how[1])


def _call_on_any_device(ppo_clip_loss):
    def call(*args, **kwargs):
        try:
            return ppo_clip_loss(*args, **kwargs)
        except RuntimeError as error:
            if args[0].device.type != "meta" or "device" not in str(error):
                raise
            fail("On tensors that live on another device (the check uses PyTorch's meta device; "
                 "a GPU is the same) ppo_clip_loss mixed in a tensor made on the CPU: "
                 f"{str(error).rstrip('.!')}. A tensor built without device= (torch.ones(n), "
                 "torch.tensor(1.2)) lives on the CPU; clamp with plain numbers, or build it with "
                 "torch.ones_like(ratio) / device=ratio.device.\n" + CONCEPT)
    return call


def _diagnose(case, got, want):
    if not (isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor)) or want.is_meta:
        return
    old = case.inputs.args[1]
    if bool(torch.isfinite(want).all()) and not bool(torch.isfinite(got.detach()).all()):
        fail(f"With {case.label} the loss is {got.item()}, where the formula gives "
             f"{want.item():.6g}. Log-probs of rare actions are very negative (here "
             f"{old.min().item():.0f}), and exp of them underflows to 0: exp(new) / exp(old) is "
             "0 / 0. Form the ratio as exp(new_log_probs - old_log_probs).\n" + CONCEPT)
    if case.gradient_problem and case.axes["old has a graph"] and old.requires_grad:
        fail(f"With {case.label}: {case.problem} old_log_probs came with a graph, and the "
             "loss sent a gradient into it: use old_log_probs.detach() in the ratio.\n" + CONCEPT)
    if case.gradient_problem:
        fail(f"With {case.label}: {case.problem} Inside the clip range both terms are equal and "
             "torch.min shares the gradient between them, so both must carry the graph: build "
             "the clipped term from the same ratio (not a detached copy, not a rebuilt number)."
             "\n" + CONCEPT)


def test_contract(exercise):
    """The loss and its gradient for any batch size (one included), float32 and float64, any
    device, rare actions' log-probs, log-ratios far past the clip, several clip_eps and its
    default, old log-probs with or without a graph."""
    check_contract(Contract(
        function="ppo_clip_loss", call=_call_on_any_device(exercise.ppo_clip_loss),
        reference=_formula, inputs=_inputs,
        axes={"batch": [1, 7, 64], "dtype": [torch.float32, torch.float64],
              "device": ["cpu", "meta"], "log-probs": list(LOG_PROBS),
              "log-ratio": list(LOG_RATIOS), "old has a graph": [False, True],
              "clip_eps": [("positional", 0.1), ("keyword", 0.3), "default"]},
        atol=1e-5, rtol=1e-5, budget=24, diagnose=_diagnose, concept=CONCEPT))

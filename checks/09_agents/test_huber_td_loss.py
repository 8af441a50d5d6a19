"""Check: DQN's Huber TD loss on gathered Q(s, a) against a detached target."""

import warnings

import torch

from torchlings.checkapi.testing import expect, expect_close, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "Huber TD loss: q_taken = q_values.gather(1, actions.unsqueeze(1)).squeeze(1); "
    "loss = F.smooth_l1_loss(q_taken, targets.detach()) (beta 1, mean over the batch)."
)


def _inputs(size=6, n_actions=5, seed=0, scale=1.0, dtype=torch.float32):
    """Q-values wider than the batch (more actions than rows) so dims cannot be confused."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(size, n_actions, generator=g, dtype=dtype).requires_grad_(True)
    actions = torch.randint(n_actions, (size,), generator=g)
    targets = (q.detach()[torch.arange(size), actions]
               + scale * torch.randn(size, generator=g, dtype=dtype))
    return q, actions, targets


def _huber(d):
    return torch.where(d.abs() < 1, 0.5 * d**2, d.abs() - 0.5).mean()


def _call(exercise, q, actions, targets):
    try:
        return exercise.huber_td_loss(q, actions, targets)
    except RuntimeError as error:
        if "index" not in str(error) and "size" not in str(error):
            raise
        expect(False, f"huber_td_loss stopped with: {str(error).splitlines()[0]}\nWith "
               f"{q.shape[0]} rows and {q.shape[1]} actions, gather along dim 1 (the actions) "
               "with an index of shape (B, 1): actions.unsqueeze(1).\n" + CONCEPT)


def test_returns_a_scalar_loss(exercise):
    """The loss is a 0-d float tensor attached to the Q-values' graph."""
    q, actions, targets = _inputs()
    loss = _call(exercise, q, actions, targets)
    expect_tensor(loss, name="the loss huber_td_loss returns", shape=(), dtype=torch.float32,
                  grad_fn=True, concept="Return the loss tensor itself (not .item()), averaged "
                  "over the batch, so the caller can call backward on it. " + CONCEPT)


def test_gradient_reaches_only_the_actions_taken(exercise):
    """Only Q(s, a) of the action taken in each row gets a gradient."""
    q, actions, targets = _inputs(seed=1)
    _call(exercise, q, actions, targets).backward()
    expect(q.grad is not None, "No gradient reached q_values: keep the loss attached to them.")
    taken = torch.zeros_like(q, dtype=torch.bool)
    taken[torch.arange(q.shape[0]), actions] = True
    stray = ((q.grad != 0) & ~taken).nonzero().tolist()
    expect(not stray,
           f"Q-values of actions that were NOT taken got a gradient (first at row, column "
           f"{stray[:1]}). The TD error is about Q(s, a) for the action in "
           "the transition only: gather along dim 1 with actions.unsqueeze(1).\n" + CONCEPT)
    expect(bool((q.grad[taken] != 0).all()),
           "Some taken Q(s, a) got no gradient at all: every row's taken action belongs in "
           "the loss.\n" + CONCEPT)


def test_target_gets_no_gradient(exercise):
    """A target handed in still attached to its graph is cut: no gradient flows into it."""
    q, actions, targets = _inputs(seed=2)
    leaf = targets.clone().requires_grad_(True)
    attached = leaf * 1.0  # like a target computed from a network without no_grad
    _call(exercise, q, actions, attached).backward()
    expect(attached.grad_fn is not None,
           "huber_td_loss detached the caller's targets in place (detach_()): the caller may "
           "still need them attached. Use targets.detach(), which returns a new tensor.\n"
           + CONCEPT)
    expect(leaf.grad is None,
           "The loss sent a gradient into the targets. The TD target is a constant the "
           "network chases; if it moved too, the network would also pull the target toward "
           "itself. Use targets.detach() inside the loss.\n" + CONCEPT)


def test_huber_not_squared_error(exercise):
    """Small and large TD errors together: the value is the mean Huber loss."""
    q, actions, targets = _inputs(size=8, seed=3, scale=4.0)
    loss = _call(exercise, q, actions, targets)
    d = q.detach()[torch.arange(8), actions] - targets
    expect(bool((d.abs() > 1).any() and (d.abs() < 1).any()), "check inputs need both regimes")
    got = float(loss.detach())
    want = _huber(d).item()
    if abs(got - (d**2).mean().item()) < 1e-4:
        expect(False, f"The loss is {got:.4f}, the mean squared error. With TD errors up to "
               f"{d.abs().max().item():.1f} the squared error's gradient grows with the error; "
               f"Huber's stays bounded. Use F.smooth_l1_loss (here {want:.4f}).\n" + CONCEPT)
    q_taken = q.detach()[torch.arange(8), actions]
    if abs(got - _huber(q_taken[:, None] - targets[None, :]).item()) < 1e-4:
        expect(False, "The loss compares every Q(s, a) with every target: a (B, 1) column "
               "met the (B,) targets and broadcast to (B, B). squeeze(1) after gather.\n"
               + CONCEPT)
    if abs(got - _huber(d).item() * 8) < 1e-4:
        expect(False, "The loss is summed over the batch; take the mean (smooth_l1_loss's "
               "default reduction).\n" + CONCEPT)
    expect_close(got, want, name="the Huber loss on TD errors both small and large",
                 atol=1e-5, concept=CONCEPT)


def test_gradient_is_bounded_for_wild_targets(exercise):
    """A TD error of 1000 moves Q(s, a) with a gradient of at most 1 / B."""
    q, actions, targets = _inputs(size=4, seed=4)
    targets = targets.clone()
    targets[0] += 1000.0
    _call(exercise, q, actions, targets).backward()
    expect_tensor(q.grad, name="the gradient on Q(s, a)", finite=True,
                  values=torch.clamp(torch.zeros_like(q).index_put_(
                      (torch.arange(4), actions),
                      (q.detach()[torch.arange(4), actions] - targets) / 4), -0.25, 0.25),
                  atol=1e-6, concept="Huber's gradient is the TD error / B for small errors and "
                  "+-1 / B once |error| > 1: one wild target cannot throw the network. " + CONCEPT)


def test_batch_of_one_and_float64(exercise):
    """B = 1 works and a float64 batch gives a float64 loss."""
    for size, dtype in ((1, torch.float32), (1, torch.float64), (5, torch.float64)):
        q, actions, targets = _inputs(size=size, seed=5 + size, scale=2.0, dtype=dtype)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = _call(exercise, q, actions, targets)
        mismatch = [str(w.message) for w in caught if "target size" in str(w.message)]
        expect(not mismatch,
               f"With a batch of {size} the loss function warned: "
               f"{mismatch[0].split('. ')[0] if mismatch else ''}.\nQ(s, a) and the targets "
               "must both be (B,). squeeze() with no dim turns a batch of one's (1, 1) "
               "gathered column into a 0-d tensor: the number comes out right only by "
               "broadcasting. squeeze(1) keeps the batch dim.\n" + CONCEPT)
        d = q.detach()[torch.arange(size), actions] - targets
        expect_tensor(loss, name=f"the loss for a batch of {size} in {dtype}", shape=(),
                      dtype=dtype, values=_huber(d), atol=1e-6,
                      concept="Keep the Q-values' dtype and treat B = 1 like any batch "
                      "(squeeze(1), not squeeze()). " + CONCEPT)


def test_inputs_unchanged_and_repeatable(exercise):
    """Called twice, the loss is the same and the caller's tensors are untouched."""
    q, actions, targets = _inputs(seed=9, scale=3.0)
    before = (q.detach().clone(), actions.clone(), targets.clone())
    first = float(_call(exercise, q, actions, targets).detach())
    second = float(_call(exercise, q, actions, targets).detach())
    expect_close(second, first, name="the loss on a second call with the same inputs",
                 concept="huber_td_loss should only read its inputs. " + CONCEPT)
    for name, now, then in zip(("q_values", "actions", "targets"), (q, actions, targets),
                               before, strict=True):
        expect_tensor(now, name=f"the caller's {name} after two calls", values=then,
                      concept="Never change the caller's tensors in place.")
    expect(not targets.requires_grad, "huber_td_loss switched on requires_grad on the "
           "caller's targets; the target is a constant.")


def test_contract(exercise):
    """The loss keeps its promise for a batch of one, more actions, float64, TD errors from
    tiny to huge, targets with or without a graph; its gradient reaches q_values only."""
    def inputs(draw):
        batch, actions = draw["batch"], draw["actions"]
        q = draw.randn(batch, actions, scale=2.0).requires_grad_()
        targets = draw.randn(batch, scale=draw["td"])
        if draw["targets"] == "attached":
            targets = targets.requires_grad_() * 1.0  # still on somebody's graph
        return Args(q, draw.randint(actions, batch), targets)

    def reference(q, actions, targets):
        q_taken = q.gather(1, actions.unsqueeze(1)).squeeze(1)
        return torch.nn.functional.smooth_l1_loss(q_taken, targets.detach())

    check_contract(Contract(
        function="huber_td_loss", call=exercise.huber_td_loss, reference=reference,
        inputs=inputs,
        axes={"batch": [1, 8], "actions": [2, 6], "dtype": [torch.float32, torch.float64],
              "td": [0.1, 100.0], "targets": ["plain", "attached"]},
        atol=1e-5, rtol=1e-5, concept=CONCEPT))

"""Check: SAC's temperature loss: log_alpha times the detached (log_pi - action_dim)."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "Temperature loss (SB3's form): target_entropy = -action_dim; "
    "loss = -(log_alpha * (log_pi + target_entropy).detach()).mean()."
)


def _inputs(size=8, seed=0, shift=0.0, dtype=torch.float32, shape=()):
    g = torch.Generator().manual_seed(seed)
    log_alpha = torch.full(shape, -0.7, dtype=dtype).requires_grad_(True)
    log_pi = (torch.randn(size, generator=g, dtype=dtype) + shift).requires_grad_(True)
    return log_alpha, log_pi


def _grad_of_log_alpha(exercise, log_alpha, log_pi, action_dim):
    loss = exercise.sac_alpha_loss(log_alpha, log_pi * 1.0, action_dim)
    expect_tensor(loss, name="the temperature loss", shape=(), grad_fn=True,
                  concept="Return the 0-d loss tensor, still attached to log_alpha. " + CONCEPT)
    (grad,) = torch.autograd.grad(loss, log_alpha)
    return loss, grad


def test_returns_a_scalar_loss(exercise):
    """The loss is a 0-d tensor in log_alpha's dtype, attached to log_alpha."""
    log_alpha, log_pi = _inputs()
    loss = exercise.sac_alpha_loss(log_alpha, log_pi, 2)
    expect_tensor(loss, name="the temperature loss", shape=(), dtype=torch.float32, grad_fn=True,
                  concept="Average over the batch (.mean()) and keep the graph to log_alpha. "
                  + CONCEPT)


def test_log_pi_gets_no_gradient(exercise):
    """log_pi arrives attached to the actor; the loss sends it no gradient."""
    log_alpha, log_pi = _inputs(seed=1)
    attached = log_pi * 1.0
    exercise.sac_alpha_loss(log_alpha, attached, 2).backward()
    expect(attached.grad_fn is not None,
           "sac_alpha_loss detached the caller's log_pi in place (detach_()); the actor loss may "
           "still need it attached. Use log_pi.detach(), which returns a new tensor.\n"
           + CONCEPT)
    expect(log_pi.grad is None,
           "The temperature loss sent a gradient into log_pi, and from there it would reach "
           "the actor. This loss trains alpha only: (log_pi + target_entropy).detach().\n"
           + CONCEPT)
    expect(log_alpha.grad is not None, "No gradient reached log_alpha.\n" + CONCEPT)


def test_alpha_rises_when_entropy_is_too_low(exercise):
    """Too little entropy (log_pi well above action_dim) raises log_alpha; too much lowers it."""
    for shift, rises in ((5.0, True), (-8.0, False)):
        log_alpha, log_pi = _inputs(seed=2, shift=shift)
        _, grad = _grad_of_log_alpha(exercise, log_alpha, log_pi, 3)
        entropy = -float(log_pi.mean())
        expect((float(grad) < 0) == rises,
               f"With an entropy estimate of {entropy:.1f} against a target of -3, a descent "
               f"step should make log_alpha {'rise' if rises else 'fall'}, but the gradient "
               f"on log_alpha is {float(grad):+.3f}. Check the two signs: target_entropy = "
               "-action_dim, and the loss is MINUS the mean.\n" + CONCEPT)


def test_value_and_gradient(exercise):
    """The loss and its gradient on log_alpha match SB3's log_alpha form."""
    log_alpha, log_pi = _inputs(seed=3, shift=-1.0)
    loss, grad = _grad_of_log_alpha(exercise, log_alpha, log_pi, 2)
    bracket = (log_pi.detach() - 2.0).double()
    alpha = float(log_alpha.detach().exp())
    if abs(float(grad) + alpha * float(bracket.mean())) < 1e-5:
        expect(False, "This is CleanRL's form, -(log_alpha.exp() * (log_pi + target_entropy))"
               ".mean(): the same sign and resting point, but every gradient scaled by alpha. "
               "This exercise asks for SB3's form, with log_alpha itself in front.\n" + CONCEPT)
    if abs(float(grad) + float((bracket + 4.0).mean())) < 1e-5:
        expect(False, "The gradient is that of target_entropy = +action_dim. The target "
               "entropy is -action_dim: log_pi + target_entropy = log_pi - action_dim.\n"
               + CONCEPT)
    if abs(float(grad) + len(log_pi) * float(bracket.mean())) < 1e-4:
        expect(False, "The loss is summed over the batch; average it (.mean()), so alpha's "
               "step does not grow with the batch size.\n" + CONCEPT)
    expect_tensor(grad, name="d loss / d log_alpha", values=-float(bracket.mean()), atol=1e-5,
                  concept=CONCEPT)
    expect_tensor(loss, name="the temperature loss",
                  values=-(float(log_alpha.detach()) * bracket).mean(), atol=1e-5,
                  concept=CONCEPT)


def test_shapes_dtypes_and_inputs(exercise):
    """log_alpha of shape (1,) as in SB3 and CleanRL, B = 1, float64; inputs left unchanged."""
    for size, dtype, shape, action_dim in ((1, torch.float32, (), 1), (1, torch.float64, (1,), 6),
                                           (5, torch.float64, (1,), 2)):
        log_alpha, log_pi = _inputs(size=size, seed=4, dtype=dtype, shape=shape)
        before = (log_alpha.detach().clone(), log_pi.detach().clone())
        first = exercise.sac_alpha_loss(log_alpha, log_pi, action_dim)
        second = exercise.sac_alpha_loss(log_alpha, log_pi, action_dim)
        want = -(-0.7 * (log_pi.detach().double() - action_dim)).mean()
        where = f"for log_alpha of shape {tuple(shape)}, B = {size}, {dtype}"
        if isinstance(first, torch.Tensor):
            expect(first.dim() == 0 or tuple(first.shape) != tuple(shape),
                   f"The loss {where} has log_alpha's shape {tuple(first.shape)}, not (): "
                   "log_alpha's shape survived into the loss, as when the mean is taken before "
                   "log_alpha comes in (log_alpha * bracket.mean()). Multiply first, then "
                   "average the whole product: "
                   "-(log_alpha * bracket).mean().\n" + CONCEPT)
            expect(first.dtype == dtype,
                   f"The loss {where} is {first.dtype}, not {dtype}: keep log_alpha's dtype "
                   "and do not force float32 (.float(), dtype=torch.float32). action_dim is a "
                   "Python number and mixes into any dtype.\n" + CONCEPT)
        expect_tensor(first, name=f"the loss {where}", shape=(), dtype=dtype, values=want,
                      atol=1e-5, concept="The loss is 0-d whatever log_alpha's shape: "
                      ".mean() over everything. " + CONCEPT)
        expect_tensor(second, name=f"the loss on a second call {where}", values=first.detach(),
                      concept=CONCEPT)
        for name, now, then in zip(("log_alpha", "log_pi"), (log_alpha, log_pi), before,
                                   strict=True):
            expect_tensor(now, name=f"the caller's {name}", values=then,
                          concept="Only read the inputs; the optimizer changes log_alpha.")
            expect(now.grad is None, f"sac_alpha_loss left a .grad on {name}: return the loss "
                   "and let the caller call backward.\n" + CONCEPT)
            expect(now.requires_grad, f"sac_alpha_loss switched off requires_grad on the "
                   f"caller's {name} (detach_() or requires_grad_(False)); use .detach(), which "
                   "returns a new tensor.\n" + CONCEPT)


def _reference_alpha_loss(log_alpha, log_pi, action_dim):
    """The docstring's loss, SB3's log_alpha form, written once."""
    return -(log_alpha * (log_pi - action_dim).detach()).mean()


def test_contract(exercise):
    """sac_alpha_loss keeps its promise for every log_alpha shape and size, batch, action_dim
    and dtype, gradients included."""
    def inputs(draw):
        shape = () if draw["log_alpha_shape"] == "0-d" else (1,)
        log_alpha = torch.full(shape, draw["log_alpha"], dtype=draw["dtype"])
        log_pi = draw.randn(draw["batch"], scale=3.0)
        return Args(log_alpha.requires_grad_(), log_pi.requires_grad_(), draw["action_dim"])
    check_contract(Contract(
        function="sac_alpha_loss", call=exercise.sac_alpha_loss, reference=_reference_alpha_loss,
        inputs=inputs,
        axes={"log_alpha_shape": ["0-d", "(1,)"], "log_alpha": [-8.0, 0.0, 3.0],
              "batch": [1, 7], "action_dim": [1, 6], "dtype": [torch.float32, torch.float64]},
        concept=CONCEPT))

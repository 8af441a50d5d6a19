"""Check: backward needs the tensors the forward saved, unchanged and not yet freed."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.autograd import call_autograd
from torchlings.checkapi.testkit.harness import EXTREME_LOGIT, Args, Contract, check_contract

INPLACE = (
    "softmax keeps its output for backward, and an in-place add writes into that very "
    "tensor. Hiding it under torch.no_grad() does not help: the version counter still "
    "moves. Detaching probs silences the error but cuts the entropy off from the logits."
)
SHARED = (
    "The trunk h = tanh(obs @ w_trunk) is shared by both losses, so its gradient is the sum "
    "of what each head sends back. Add the losses and call backward once, or keep the graph "
    "alive for the second backward with retain_graph=True on the first. A detached trunk "
    "hears from only one head."
)


def reference_entropy_gradient(logits):
    logits = logits.detach().clone().requires_grad_()
    log_probs = torch.log_softmax(logits, dim=-1)
    entropy = -(log_probs.exp() * log_probs).sum()
    (grad,) = torch.autograd.grad(entropy, logits)
    return grad


def test_entropy_gradient(exercise):
    """The entropy's gradient reaches the logits: no saved tensor was changed in place."""
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(2))
    grad = call_autograd(exercise.entropy_gradient, logits, name="entropy_gradient(logits)",
                         concept=INPLACE)
    expect_tensor(grad, name="the gradient of the entropy with respect to the logits",
                  shape=(4, 3), dtype=torch.float32, finite=True,
                  values=reference_entropy_gradient(logits), atol=1e-5, concept=INPLACE)


def make_actor_critic(seed=4, batch=5, obs_dim=3, hidden=6, actions=2):
    generator = torch.Generator().manual_seed(seed)
    return (
        torch.randn(obs_dim, hidden, generator=generator) * 0.5,
        torch.randn(hidden, actions, generator=generator),
        torch.randn(hidden, generator=generator),
        torch.randn(batch, obs_dim, generator=generator),
        torch.randn(batch, generator=generator),
    )


def reference_actor_critic(w_trunk, w_actor, w_critic, obs, returns):
    leaves = [w.clone().requires_grad_() for w in (w_trunk, w_actor, w_critic)]
    h = torch.tanh(obs @ leaves[0])
    actor_loss = -torch.log_softmax(h @ leaves[1], dim=-1)[:, 0].mean()
    critic_loss = ((h @ leaves[2] - returns) ** 2).mean()
    return torch.autograd.grad(actor_loss + critic_loss, leaves)


def test_shared_trunk_hears_both_losses(exercise):
    """The shared trunk gets the gradient of both losses; each head gets its own."""
    weights_and_data = make_actor_critic()
    grads = call_autograd(exercise.actor_critic_gradients, *weights_and_data,
                          name="actor_critic_gradients(...)", concept=SHARED)
    expect(isinstance(grads, tuple) and len(grads) == 3,
           "actor_critic_gradients should return a tuple of three gradients: "
           "(w_trunk's, w_actor's, w_critic's).")
    want_trunk, want_actor, want_critic = reference_actor_critic(*weights_and_data)
    trunk, actor, critic = grads
    expect_tensor(actor, name="the gradient for w_actor", shape=(6, 2), values=want_actor,
                  atol=1e-5, concept=SHARED)
    expect_tensor(critic, name="the gradient for w_critic", shape=(6,), values=want_critic,
                  atol=1e-5, concept=SHARED)
    expect_tensor(trunk, name="the gradient for the shared w_trunk", shape=(3, 6),
                  values=want_trunk, atol=1e-5, concept=SHARED)


def test_entropy_gradient_saturated_softmax(exercise):
    """Logits so far apart that softmax gives exact zeros: the gradient is still finite."""
    logits = torch.tensor([[0.0, 200.0, -200.0], [50.0, -150.0, 50.0]])
    grad = call_autograd(exercise.entropy_gradient, logits,
                         name="entropy_gradient(logits with gaps of 200)", concept=INPLACE)
    expect_tensor(grad, name="the entropy gradient for a saturated softmax", shape=(2, 3),
                  dtype=torch.float32, finite=True,
                  values=reference_entropy_gradient(logits), atol=1e-5,
                  concept="softmax rounds exp(-200) to exactly 0 in float32, and 0 * log(0) "
                  "is nan. That is why the epsilon is there: keep it, added out of place "
                  "(probs = probs + 1e-8), or use log_softmax for the log.")


def test_saved_tensors_contract(exercise):
    """Any batch (one included), more actions, float64, extreme logits; the trunk from both heads."""
    check_contract(Contract(
        function="entropy_gradient", call=exercise.entropy_gradient,
        reference=reference_entropy_gradient,
        inputs=lambda draw: Args(draw.randn(draw["B"], draw["A"], scale=draw["scale"])),
        axes={"B": [1, 4], "A": [2, 9], "dtype": [torch.float32, torch.float64],
              "scale": [1.0, 30.0, EXTREME_LOGIT]},
        # The epsilon form the hint suggests moves the gradient by about epsilon (1e-8).
        tolerance={torch.float64: (1e-6, 1e-6)},
        concept=INPLACE + " Near-certain actions (logits of +-1000) have probabilities of "
        "exactly 0: 0 * log(0) is NaN unless log never sees a 0 (an epsilon added out of "
        "place, or log_softmax)."))

    def actor_critic_inputs(draw):
        b, a = draw["B"], draw["A"]
        return Args(draw.randn(3, 6, scale=0.5), draw.randn(6, a), draw.randn(6),
                    draw.randn(b, 3), draw.randn(b))

    check_contract(Contract(
        function="actor_critic_gradients", call=exercise.actor_critic_gradients,
        reference=reference_actor_critic, inputs=actor_critic_inputs,
        axes={"B": [1, 5], "A": [2, 4], "dtype": [torch.float32, torch.float64]},
        concept=SHARED))

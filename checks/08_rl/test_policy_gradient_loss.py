"""Check: the policy-gradient loss -(log pi * A).mean(), its sign, and A detached."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import EXTREME_LOGIT, Args, Contract, check_contract

CONCEPT = (
    "loss = -(log_probs * advantages.detach()).mean(): the minus makes gradient DEScent "
    "raise log pi where A > 0; detach keeps the advantage a fixed weight; mean averages "
    "over the batch."
)
B, N_ACTIONS = 6, 3


def _rollout(seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, N_ACTIONS, generator=g).requires_grad_()
    actions = torch.randint(N_ACTIONS, (B,), generator=g)
    return logits, actions


def _log_probs(logits, actions):
    return torch.log_softmax(logits, -1)[torch.arange(B), actions]


def test_value(exercise):
    """The loss is a scalar equal to -mean(log pi * A)."""
    logits, actions = _rollout()
    advantages = torch.tensor([1.5, -0.5, 2.0, -1.0, 0.3, 0.0])
    log_probs = _log_probs(logits, actions)
    loss = exercise.policy_gradient_loss(log_probs, advantages)
    expect_tensor(loss, name="the policy-gradient loss", shape=(), grad_fn=True,
                  concept=CONCEPT + " The loss must stay connected to the log-probs.")
    normalised = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    if abs(loss.item() - (-(log_probs * normalised).mean().item())) < 1e-4:
        fail("The loss uses normalised advantages ((A - mean) / std). CleanRL and SB3 "
             "normalise right before the loss, in the training loop; this function takes the "
             "advantages as given.\n" + CONCEPT)
    expect_close(loss.item(), -(log_probs * advantages).mean().item(),
                 name="the policy-gradient loss", atol=1e-5, concept=CONCEPT)


def test_sign_raises_good_actions(exercise):
    """A gradient-descent step on the loss makes A > 0 actions likelier, A < 0 rarer."""
    logits, actions = _rollout(1)
    advantages = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    before = _log_probs(logits, actions).detach()
    loss = exercise.policy_gradient_loss(_log_probs(logits, actions), advantages)
    expect(isinstance(loss, torch.Tensor) and loss.numel() == 1,
           "policy_gradient_loss should return a scalar tensor.")
    loss.backward()
    expect(logits.grad is not None and bool(logits.grad.any()),
           "backward on your loss sent no gradient to the policy's logits: the loss must be "
           "built from the attached log_probs (detach the advantages, not the log-probs).\n"
           + CONCEPT)
    with torch.no_grad():
        after = _log_probs(logits - 0.1 * logits.grad, actions)
    up = advantages > 0
    expect(bool((after[up] > before[up]).all()) and bool((after[~up] < before[~up]).all()),
           "After one gradient-descent step on your loss, the log-probability of actions with "
           f"positive advantage changed by {(after[up] - before[up]).tolist()} and of actions "
           f"with negative advantage by {(after[~up] - before[~up]).tolist()}. The first "
           "should go up and the second down: check the sign of the loss.\n" + CONCEPT)


def test_gradient_on_log_probs(exercise):
    """d loss / d log pi_i = -A_i / B: every sample weighted by its own advantage."""
    log_probs = torch.randn(B, generator=torch.Generator().manual_seed(2)).requires_grad_()
    advantages = torch.tensor([0.5, -2.0, 1.0, 3.0, -0.1, 0.0])
    loss = exercise.policy_gradient_loss(log_probs, advantages)
    loss.backward()
    expect_tensor(log_probs.grad, name="the gradient of the loss for the log-probs",
                  shape=(B,), values=-advantages / B, atol=1e-6, concept=CONCEPT)


def test_advantage_gets_no_gradient(exercise):
    """With A = G - V(s) from a critic, the policy loss sends no gradient to the critic."""
    torch.manual_seed(3)
    critic = nn.Linear(4, 1)
    obs = torch.randn(B, 4, generator=torch.Generator().manual_seed(4))
    returns = torch.randn(B, generator=torch.Generator().manual_seed(5))
    advantages = returns - critic(obs).squeeze(-1)  # attached to the critic's graph
    logits, actions = _rollout(6)
    loss = exercise.policy_gradient_loss(_log_probs(logits, actions), advantages)
    loss.backward()
    reached = [name for name, p in critic.named_parameters() if p.grad is not None]
    expect(not reached,
           f"The policy loss sent a gradient into the critic's {', '.join(reached)} through "
           "the advantages. The advantage is a weight here, not something to optimise: use "
           "advantages.detach() in the policy loss.\n" + CONCEPT)
    expect(logits.grad is not None,
           "No gradient reached the policy's logits: keep log_probs attached.")


def test_inputs_left_as_they_were(exercise):
    """The caller's advantages stay attached to the critic: detach a copy, not theirs."""
    torch.manual_seed(7)
    critic = nn.Linear(4, 1)
    obs = torch.randn(B, 4, generator=torch.Generator().manual_seed(8))
    advantages = torch.randn(B, generator=torch.Generator().manual_seed(9)) - critic(
        obs).squeeze(-1)
    logits, actions = _rollout(10)
    log_probs = _log_probs(logits, actions)
    for _ in range(2):
        inputs = InputSnapshot(log_probs=log_probs, advantages=advantages)
        exercise.policy_gradient_loss(log_probs, advantages)
        inputs.expect_untouched(function="policy_gradient_loss", concept=(
            "advantages.detach() makes a new tensor for the loss; advantages.detach_() cuts "
            "the caller's own tensor off the critic, so the critic's loss built from it "
            "later trains nothing. " + CONCEPT))


def test_contract(exercise):
    """The loss keeps its promise for a batch of one, float64, log-probs down to -1000,
    advantages in the hundreds, and advantages attached to a critic (which get no gradient)."""
    def inputs(draw):
        batch = draw["batch"]
        log_probs = (-draw.rand(batch) * draw["log_prob_scale"]).requires_grad_()
        advantages = draw.randn(batch, scale=draw["advantage_scale"])
        if draw["advantages_attached"]:
            advantages.requires_grad_()  # as if A = G - V(s) came straight from a critic
        return Args(log_probs, advantages)

    check_contract(Contract(
        function="policy_gradient_loss", call=exercise.policy_gradient_loss,
        reference=lambda log_probs, advantages: -(log_probs * advantages.detach()).mean(),
        inputs=inputs,
        axes={"batch": [1, 7], "dtype": [torch.float32, torch.float64],
              "log_prob_scale": [1.0, EXTREME_LOGIT], "advantage_scale": [1.0, 300.0],
              "advantages_attached": [False, True]},
        atol=1e-4, rtol=1e-5, concept=CONCEPT))

"""Check: a value-only step leaves the policy head alone (gradients set to None)."""

import torch
import torch.nn.functional as F

from torchlings.testing import expect, expect_tensor

CONCEPT = ("optimizer.zero_grad() (set_to_none=True) leaves .grad as None where backward "
           "does not reach, and optimizers skip None. A zero gradient is not skipped: Adam's "
           "momentum keeps moving that parameter.")


class ActorCritic(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh())
        self.policy = torch.nn.Linear(16, 2)
        self.value_head = torch.nn.Linear(16, 1)

    def forward(self, obs):
        h = self.trunk(obs)
        return self.policy(h), self.value_head(h).squeeze(-1)

    def value(self, obs):
        return self.value_head(self.trunk(obs)).squeeze(-1)


def make_setup(seed: int = 0):
    """A model and an Adam optimizer that already has momentum for every parameter."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ActorCritic()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    obs = torch.randn(8, 4, generator=generator)
    # A full actor-critic update first, so Adam has momentum for the policy head.
    logits, values = model(obs)
    loss = logits.logsumexp(-1).mean() + values.pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    returns = torch.randn(8, generator=generator)
    return model, optimizer, obs, returns


def test_policy_head_untouched(exercise):
    """Two critic steps do not move the policy head."""
    model, optimizer, obs, returns = make_setup()
    before = {n: p.detach().clone() for n, p in model.policy.named_parameters()}
    for _ in range(2):
        exercise.critic_step(model, optimizer, obs, returns)
    for name, p in model.policy.named_parameters():
        expect_tensor(p.detach(), name=f"policy.{name} after two critic steps",
                      values=before[name], atol=0, rtol=0,
                      concept="The critic step's loss does not depend on the policy head, "
                      "yet it moved. " + CONCEPT)


def test_policy_grads_are_none(exercise):
    """After a critic step the policy head's .grad is None, not a tensor of zeros."""
    model, optimizer, obs, returns = make_setup(seed=1)
    exercise.critic_step(model, optimizer, obs, returns)
    for name, p in model.policy.named_parameters():
        if p.grad is not None and bool((p.grad != 0).any()):
            expect(False, f"policy.{name}.grad still holds an old, non-zero gradient after a "
                   "critic step: the gradients were never cleared. " + CONCEPT)
        expect(p.grad is None,
               f"policy.{name}.grad is a tensor of zeros after a critic step, expected None. "
               + CONCEPT)


def test_value_head_learns(exercise):
    """The critic step still trains the value head and the trunk, and returns the loss."""
    model, optimizer, obs, returns = make_setup(seed=2)
    start = F.mse_loss(model.value(obs), returns).item()
    before = [p.detach().clone() for p in model.value_head.parameters()]
    first = exercise.critic_step(model, optimizer, obs, returns)
    expect(isinstance(first, float), "critic_step should return the loss as a Python float "
           f"(loss.item()), got {type(first).__name__}.")
    expect(abs(first - start) < 1e-5,
           f"critic_step returned {first}, but the value loss before the update was {start}.")
    after = list(model.value_head.parameters())
    moved = any(not torch.equal(b, p) for b, p in zip(before, after, strict=True))
    expect(moved, "The value head did not move: the critic step must still call backward() "
           "and optimizer.step().")

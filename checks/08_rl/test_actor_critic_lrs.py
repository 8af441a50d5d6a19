"""Check: one learning rate for the actor's parameters, another for the critic's."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close

ACTOR_LR, CRITIC_LR = 1e-3, 5e-3
CONCEPT = (
    "Parameter groups: torch.optim.Adam([{'params': actor.parameters(), 'lr': actor_lr}, "
    "{'params': critic.parameters(), 'lr': critic_lr}]). Every actor parameter must get "
    "actor_lr and every critic parameter critic_lr, each exactly once."
)


def _nets():
    torch.manual_seed(0)
    actor = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    return actor, critic


def _optimizers(exercise, actor, critic):
    result = exercise.make_optimizer(actor, critic, ACTOR_LR, CRITIC_LR)
    optimizers = list(result) if isinstance(result, (tuple, list)) else [result]
    expect(optimizers and all(isinstance(o, torch.optim.Optimizer) for o in optimizers),
           "make_optimizer should return a torch.optim optimizer (or a tuple of two), but it "
           f"returned {type(result).__name__}.\n" + CONCEPT)
    return optimizers


def _lrs_by_parameter(optimizers):
    """Map id(parameter) -> list of learning rates it is stepped with."""
    seen = {}
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            for p in group["params"]:
                seen.setdefault(id(p), []).append(group["lr"])
    return seen


def test_each_parameter_has_its_learning_rate(exercise):
    """Each actor parameter has lr = actor_lr, each critic parameter lr = critic_lr, once."""
    actor, critic = _nets()
    seen = _lrs_by_parameter(_optimizers(exercise, actor, critic))
    for owner, net, lr in (("actor", actor, ACTOR_LR), ("critic", critic, CRITIC_LR)):
        for name, p in net.named_parameters():
            lrs = seen.get(id(p), [])
            expect(lrs, f"The {owner}'s {name} is in no optimizer: it would never learn.\n"
                   + CONCEPT)
            expect(len(lrs) == 1,
                   f"The {owner}'s {name} is handed to the optimizers {len(lrs)} times, so it "
                   "would be stepped more than once per update.\n" + CONCEPT)
            expect_close(lrs[0], lr, name=f"the learning rate of the {owner}'s {name}",
                         rtol=1e-9, atol=0.0, concept=CONCEPT)


def test_one_step_moves_each_network_at_its_rate(exercise):
    """With the same gradients, a step moves the critic 5x as far as the actor."""
    actor, critic = _nets()
    optimizers = _optimizers(exercise, actor, critic)
    g = torch.Generator().manual_seed(1)
    params = list(actor.parameters()) + list(critic.parameters())
    before = [p.detach().clone() for p in params]
    for p in params:  # gradients of size 3 with random signs, the same for everyone
        p.grad = (torch.randint(0, 2, p.shape, generator=g).float() * 2 - 1) * 3.0
    for optimizer in optimizers:
        optimizer.step()
    moves = [(p.detach() - b).abs().mean().item() for p, b in zip(params, before, strict=True)]
    n_actor = len(list(actor.parameters()))
    actor_move = sum(moves[:n_actor]) / n_actor
    critic_move = sum(moves[n_actor:]) / (len(moves) - n_actor)
    expect(actor_move > 0 and critic_move > 0,
           f"After one step the actor moved {actor_move:.2e} and the critic {critic_move:.2e} "
           "per weight: one of them did not move at all.\n" + CONCEPT)
    expect_close(critic_move / actor_move, CRITIC_LR / ACTOR_LR,
                 name="how much further the critic moves than the actor in one step",
                 rtol=0.05, atol=0.0, concept=CONCEPT)
    # Adam's first step is lr * g / |g| = lr whatever the gradient's size; SGD's is lr * |g|.
    expect_close(actor_move, ACTOR_LR, name="how far one step moves each actor weight, with "
                 "gradients of size 3", rtol=0.01, atol=0.0,
                 concept="make_optimizer should build Adam, whose first step moves each weight "
                 "by lr whatever the gradient's size (plain SGD would move it by lr * 3). "
                 + CONCEPT)


def test_zero_gradients_move_nothing(exercise):
    """Adam with zero gradients leaves every weight in place: no weight decay sneaks in."""
    actor, critic = _nets()
    optimizers = _optimizers(exercise, actor, critic)
    params = list(actor.parameters()) + list(critic.parameters())
    before = [p.detach().clone() for p in params]
    for p in params:
        p.grad = torch.zeros_like(p)
    for optimizer in optimizers:
        optimizer.step()
    moved = max((p.detach() - b).abs().max().item() for p, b in zip(params, before, strict=True))
    expect(moved == 0.0,
           f"With every gradient 0, one step still moved a weight by {moved:.2e}: the optimizer "
           "decays weights. torch.optim.AdamW applies weight_decay=0.01 by default, decoupled "
           "from the gradient; the docstring asks for Adam, whose weight_decay is 0.\n" + CONCEPT)

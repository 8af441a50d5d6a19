"""Check: one learning rate for the actor's parameters, another for the critic's."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

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


# --- the contract: how every parameter moves over a few steps, for networks of any shape ---

class _GaussianActor(nn.Module):
    """Nested layers and a parameter held directly, as SAC and PPO's continuous actors have."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.Tanh()), nn.Linear(8, 8))
        self.mean = nn.Linear(8, 2)
        self.log_std = nn.Parameter(torch.zeros(2))


def _networks(kind: str):
    # Built inside the call the harness watches: layers' own initialisation must not move the
    # global stream (the weights are then set from a generator of our own).
    with torch.random.fork_rng(devices=[]):
        return _build_networks(kind)


def _build_networks(kind: str):
    generator = torch.Generator().manual_seed(len(kind))
    if kind == "two MLPs":
        actor = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    elif kind == "nested actor with a log_std":
        actor, critic = _GaussianActor(), nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    elif kind == "a frozen layer in each":
        actor = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        for frozen in (actor[0], critic[0]):  # a shared, pre-trained encoder, say
            frozen.requires_grad_(False)
    else:  # "float64, a deeper critic"
        actor = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
        critic = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(),
                               nn.Linear(6, 1)).double()
    with torch.no_grad():
        for p in list(actor.parameters()) + list(critic.parameters()):
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    return actor, critic


NETWORKS = ["two MLPs", "nested actor with a log_std", "a frozen layer in each",
            "float64, a deeper critic"]
GRADIENT_SIZES = (1e-6, 3.0, 50.0)  # one step each; a tiny first gradient shows eps


def _stepped(make_optimizer):
    """Every parameter after a few steps with the same gradients, keyed 'actor.<name>'.

    The networks are built here from their kind (fresh, the same for both sides): cheaper
    than the harness's deep copy of two modules per call.
    """
    def run(networks, actor_lr, critic_lr, seed):
        actor, critic = _networks(networks)
        result = make_optimizer(actor, critic, actor_lr, critic_lr)
        optimizers = list(result) if isinstance(result, (tuple, list)) else [result]
        expect(optimizers and all(isinstance(o, torch.optim.Optimizer) for o in optimizers),
               "make_optimizer should return a torch.optim optimizer (or a tuple or list of "
               f"two), but it returned {type(result).__name__}.\n" + CONCEPT)
        named = [(f"{owner}.{name}", p) for owner, net in (("actor", actor), ("critic", critic))
                 for name, p in net.named_parameters()]
        generator = torch.Generator().manual_seed(seed)
        for size in GRADIENT_SIZES:
            for _, p in named:
                grad = torch.randn(p.shape, generator=generator, dtype=torch.float64) * size
                p.grad = grad.to(p.dtype) if p.requires_grad else None
            for optimizer in optimizers:
                optimizer.step()
        return {name: p.detach().clone() for name, p in named}
    return run


def _reference(actor, critic, actor_lr, critic_lr):
    return torch.optim.Adam([{"params": actor.parameters(), "lr": actor_lr},
                             {"params": critic.parameters(), "lr": critic_lr}])


def _diagnose(case, got, want):
    if not isinstance(got, dict) or set(got) != set(want):
        return
    networks, actor_lr, critic_lr, _ = case.inputs.args
    actor, critic = _networks(networks)
    start = dict([(f"actor.{n}", p) for n, p in actor.named_parameters()]
                 + [(f"critic.{n}", p) for n, p in critic.named_parameters()])
    for name, w in want.items():
        g = got[name]
        if torch.allclose(g, w, atol=1e-7, rtol=1e-6):
            continue
        lr = actor_lr if name.startswith("actor") else critic_lr
        if torch.equal(g, start[name].detach()):
            fail(f"With {case.label}: {name} never moved in {len(GRADIENT_SIZES)} steps: it is "
                 "in no optimizer. net.parameters() finds every parameter, in nested layers "
                 "and held directly (a log_std); a list built from children() or from "
                 "chosen layers misses some.\n" + CONCEPT)
        fail(f"With {case.label}: after {len(GRADIENT_SIZES)} steps with gradients of sizes "
             f"{list(GRADIENT_SIZES)}, {name} differs from Adam's with lr={lr:g} by up to "
             f"{(g - w).abs().max().item():.3g}. The learning rate is one of Adam's settings; "
             "the rest stay at their defaults (betas=(0.9, 0.999), eps=1e-8, weight_decay=0): "
             "AdamW's default weight decay of 0.01, CleanRL's eps=1e-5 or a "
             "second step of the same parameter all move it differently.\n" + CONCEPT)


def test_contract(exercise):
    """Every parameter moves as Adam with its network's rate moves it, over three steps with
    gradients from tiny to large: nested layers, a parameter held directly, frozen layers,
    float64 networks, the actor's rate below or above the critic's."""
    def inputs(draw):
        actor_lr, critic_lr = draw["actor_lr, critic_lr"]
        return Args(draw["networks"], actor_lr, critic_lr, draw.seed())

    check_contract(Contract(
        function="make_optimizer",
        call=_stepped(exercise.make_optimizer),
        reference=_stepped(_reference),
        inputs=inputs,
        axes={"networks": NETWORKS,
              "actor_lr, critic_lr": [(3e-4, 1e-3), (5e-3, 1e-4)]},
        atol=1e-7, rtol=1e-6, diagnose=_diagnose, concept=CONCEPT))

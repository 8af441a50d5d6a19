"""Check: a target network that is a frozen copy; hard and Polyak updates."""

import copy

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT_COPY = (
    "make_target: copy.deepcopy(online) gives the target its own parameter tensors; "
    "target.requires_grad_(False) keeps gradients out of it."
)
CONCEPT_HARD = (
    "hard_update copies VALUES into the target's own tensors: "
    "target.load_state_dict(online.state_dict())."
)
CONCEPT_SOFT = (
    "soft_update: for each pair, target_p = tau * online_p + (1 - tau) * target_p, written "
    "in place into target_p under torch.no_grad()."
)


def _online(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def _train_a_step(online):
    """Change the online network the way training does."""
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(11))
    online(x).pow(2).sum().backward()
    with torch.no_grad():  # a plain SGD step, written out
        for p in online.parameters():
            p -= 0.5 * p.grad
            p.grad = None


def _snapshot(net):
    return [p.detach().clone() for p in net.parameters()]


def _shared(target, online):
    """Names of target parameters that share storage with an online parameter."""
    pointers = {p.data_ptr() for p in online.parameters()}
    return [name for name, p in target.named_parameters() if p.data_ptr() in pointers]


def _check_separate(target, online, when):
    expect(target is not online,
           f"{when}, the target is the online network itself, not a copy: every training "
           "step would move the target too.\n" + CONCEPT_COPY)
    shared = _shared(target, online)
    expect(not shared,
           f"{when}, the target's {', '.join(shared)} share storage with the online network: "
           "they are the same tensors under two names, so the target moves whenever the "
           "online network learns.\n" + CONCEPT_COPY + " " + CONCEPT_HARD)


def _frozen_copy(online):
    """The check's own frozen target, so the update tests do not depend on make_target."""
    target = copy.deepcopy(online)
    for p in target.parameters():
        p.requires_grad_(False)
    return target


def _check_frozen(target, when, concept):
    for name, p in target.named_parameters():
        expect_tensor(p, name=f"{when}, the target's {name}", requires_grad=False,
                      grad_fn=False, concept=concept)


def test_copy_is_equal_and_separate(exercise):
    """make_target: same values, its own storage, frozen."""
    online = _online()
    target = exercise.make_target(online)
    expect(isinstance(target, nn.Module), "make_target should return an nn.Module.")
    _check_separate(target, online, "After make_target")
    for (name, p), q in zip(target.named_parameters(), online.parameters(), strict=True):
        expect_tensor(p, name=f"the target's {name}", shape=tuple(q.shape), values=q,
                      concept=CONCEPT_COPY)


def test_make_target_freezes_the_copy(exercise):
    """make_target freezes the copy: no requires_grad, and backward sends it no gradient."""
    online = _online()
    target = exercise.make_target(online)
    thawed = [name for name, p in target.named_parameters() if p.requires_grad]
    expect(not thawed,
           f"Freeze the target: after make_target its {', '.join(thawed)} still require grad. "
           "Call target.requires_grad_(False) on the copy. (CleanRL and SB3 leave "
           "requires_grad on and rely on torch.no_grad() at every use; here the target is "
           "frozen once, so no later mistake can train it.)\n" + CONCEPT_COPY)
    frozen_online = [name for name, p in online.named_parameters() if not p.requires_grad]
    expect(not frozen_online,
           f"make_target froze the ONLINE network's {', '.join(frozen_online)}: freeze the "
           "copy only, the online network still has to learn.\n" + CONCEPT_COPY)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    (online(x) - target(x) + online(x) * target(x)).sum().backward()
    leaked = [name for name, p in target.named_parameters() if p.grad is not None]
    expect(not leaked,
           f"backward put gradients into the target's {', '.join(leaked)}. A target network "
           "is never trained: call target.requires_grad_(False).\n" + CONCEPT_COPY)
    expect(all(p.grad is not None for p in online.parameters()),
           "The online network should still get gradients: freeze the target only.")


def test_target_follows_only_when_copied(exercise):
    """Training the online net leaves the target alone until hard_update copies it."""
    online = _online()
    target = exercise.make_target(online)
    if any(p.requires_grad for p in target.parameters()):
        target = _frozen_copy(online)  # the missing freeze is reported above, once
    frozen = _snapshot(target)
    _train_a_step(online)
    for (name, p), old in zip(target.named_parameters(), frozen, strict=True):
        expect_tensor(p, name=f"the target's {name} after the online network trained",
                      values=old, concept=CONCEPT_COPY)
    exercise.hard_update(target, online)
    unmoved = all(torch.equal(p, old) for p, old in zip(target.parameters(), frozen, strict=True))
    expect(not unmoved,
           "After hard_update the target still holds its old values, though the online network "
           "has trained since: the copy never reached the target's tensors. Rebinding a name "
           "inside the function (`target = copy.deepcopy(online)`, or `target_p = online_p` in a "
           "loop) would do that: it changes nothing the caller sees. Copy into the target you were given: "
           "target.load_state_dict(online.state_dict()).\n" + CONCEPT_HARD)
    for (name, p), q in zip(target.named_parameters(), online.parameters(), strict=True):
        expect_tensor(p, name=f"the target's {name} after hard_update", values=q,
                      concept=CONCEPT_HARD)
    _check_separate(target, online, "After hard_update")
    _check_frozen(target, "After hard_update", CONCEPT_HARD)
    copied = _snapshot(target)
    _train_a_step(online)
    for (name, p), old in zip(target.named_parameters(), copied, strict=True):
        expect_tensor(p, name=f"the target's {name} one training step after hard_update",
                      values=old, concept=CONCEPT_HARD)


def test_hard_update_every_n_steps(exercise):
    """In a loop with a copy every 3 steps, the target always equals the last copy."""
    online = _online(2)
    target = _frozen_copy(online)
    last_copy = _snapshot(online)
    for step in range(1, 8):
        _train_a_step(online)
        if step % 3 == 0:
            exercise.hard_update(target, online)
            last_copy = _snapshot(online)
        for (name, p), want in zip(target.named_parameters(), last_copy, strict=True):
            expect_tensor(p, name=f"the target's {name} at step {step}", values=want,
                          concept="The target should change only at steps 3 and 6, when it is "
                          "copied. " + CONCEPT_HARD)


def test_soft_update_closed_form(exercise):
    """soft_update matches tau * online + (1 - tau) * target, in place, and stays frozen."""
    online = _online(3)
    target = _frozen_copy(_online(4))  # start from different weights
    tensors = [p for p in target.parameters()]
    storage = [p.data_ptr() for p in tensors]
    for tau in (0.1, 0.005):
        old_target, old_online = _snapshot(target), _snapshot(online)
        exercise.soft_update(target, online, tau)
        unmoved = all(torch.equal(p, t) for p, t in zip(target.parameters(), old_target, strict=True))
        expect(not unmoved,
               f"After soft_update with tau={tau} not one of the target's parameters changed: the "
               "update never reached the target's tensors. If the loop assigns "
               "`target_p = tau * online_p + ...`, that only rebinds the loop variable to a new "
               "tensor and leaves the parameter as it was. Write in place into target_p: "
               "target_p.mul_(1 - tau).add_(online_p, alpha=tau), or target_p.copy_(...).\n"
               + CONCEPT_SOFT)
        for (name, p), t, o in zip(target.named_parameters(), old_target, old_online, strict=True):
            polyak = tau * t + (1 - tau) * o
            if not torch.allclose(p, tau * o + (1 - tau) * t, atol=1e-6) and torch.allclose(
                    p, polyak, atol=1e-6):
                fail(f"After soft_update with tau={tau} the target's {name} moved a fraction "
                     f"{1 - tau:g} of the way to the online network, not {tau:g}: tau here is "
                     "the step toward the online network. (Spinning Up's `polyak` is the "
                     "opposite, the share the target KEEPS: polyak = 1 - tau.)\n"
                     + CONCEPT_SOFT)
            expect_tensor(p, name=f"the target's {name} after soft_update with tau={tau}",
                          values=tau * o + (1 - tau) * t, atol=1e-6, concept=CONCEPT_SOFT)
        _check_frozen(target, f"After soft_update with tau={tau}", CONCEPT_SOFT)
        _check_separate(target, online, f"After soft_update with tau={tau}")
    expect(all(a is b for a, b in zip(tensors, target.parameters(), strict=True)),
           "soft_update replaced the target's parameter tensors instead of updating them in "
           "place; anything holding the old ones (an optimizer, a saved reference) goes stale."
           "\n" + CONCEPT_SOFT)
    expect([p.data_ptr() for p in target.parameters()] == storage,
           "soft_update gave the target's parameters new memory (`p.data = ...` swaps the "
           "storage under the parameter) instead of writing into the memory they have: every "
           "call allocates again, and whatever saw the old memory (a state_dict taken "
           "earlier, a compiled or CUDA-graphed target) keeps the stale values. Write in "
           "place: target_p.mul_(1 - tau).add_(online_p, alpha=tau), or "
           "target_p.copy_(...).\n" + CONCEPT_SOFT)
    for (name, p), q in zip(online.named_parameters(), _online(3).parameters(), strict=True):
        expect_tensor(p, name=f"the online network's {name} after soft_update", values=q,
                      concept="soft_update changes the target only; the online network "
                      "stays as it was.")


def _drawn_net(draw, salt=0):
    """A network of the case's depth, width and dtype, seeded from the case."""
    torch.manual_seed(draw.seed() + salt)
    sizes = [3] + [draw["width"]] * draw["depth"] + [2]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.Tanh()]
    return nn.Sequential(*layers[:-1]).to(draw["dtype"])


def _params_after(update):
    """Run an update on (target, online, ...) and give the target's parameters as it left them."""
    def call(target, online, *rest):
        update(target, online, *rest)
        return list(target.parameters())
    return call


def _reference_soft(target, online, tau):
    with torch.no_grad():
        for tp, op in zip(target.parameters(), online.parameters(), strict=True):
            tp.copy_(tau * op + (1 - tau) * tp)


def test_contract(exercise):
    """make_target, hard_update and soft_update keep their promise for deeper and wider
    networks, float64, and tau of 0, 0.005, 0.5 and 1: values, dtype, frozen target, the
    online network left trainable."""
    axes = {"depth": [1, 3], "width": [1, 16], "dtype": [torch.float32, torch.float64]}

    def make_target(online):
        return list(exercise.make_target(online).parameters()), [
            p.requires_grad for p in online.parameters()]

    def reference_make_target(online):
        return list(_frozen_copy(online).parameters()), [
            p.requires_grad for p in online.parameters()]

    check_contract(Contract(
        function="make_target", call=make_target, reference=reference_make_target,
        inputs=lambda d: Args(_drawn_net(d)), axes=axes, concept=CONCEPT_COPY))
    check_contract(Contract(
        function="hard_update", call=_params_after(exercise.hard_update),
        reference=_params_after(lambda t, o: t.load_state_dict(o.state_dict())),
        inputs=lambda d: Args(_frozen_copy(_drawn_net(d, 1)), _drawn_net(d)), axes=axes,
        concept=CONCEPT_HARD))
    check_contract(Contract(
        function="soft_update", call=_params_after(exercise.soft_update),
        reference=_params_after(_reference_soft),
        inputs=lambda d: Args(_frozen_copy(_drawn_net(d, 1)), _drawn_net(d), d["tau"]),
        axes={**axes, "tau": [0.0, 0.005, 0.5, 1.0]}, atol=1e-6, concept=CONCEPT_SOFT))

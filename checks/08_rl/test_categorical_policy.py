"""Check: Categorical log_prob and entropy; a behaviour-cloning step with cross-entropy."""

import copy
import math

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import EXTREME_LOGIT, Args, Contract, check_contract

CONCEPT_DIST = (
    "Categorical(logits=logits) (the keyword matters: the first positional argument is "
    "probs) gives log_prob(actions) and entropy(), each of shape (B,)."
)
CONCEPT_CE = (
    "F.cross_entropy(logits, actions) takes the RAW logits (it applies log_softmax itself) "
    "and equals -Categorical(logits=logits).log_prob(actions).mean(). Then zero_grad, "
    "backward, step."
)


def _stats(exercise, logits, actions):
    try:
        result = exercise.policy_stats(logits, actions)
    except ValueError as error:
        if "parameter probs" not in str(error) or "Simplex" not in str(error):
            raise
        fail(f"policy_stats stopped: {str(error).splitlines()[0]}\nCategorical was handed the raw "
             "logits as PROBABILITIES (they have negative entries and rows that do not sum to 1). "
             "The first positional argument of Categorical is probs: write "
             "Categorical(logits=logits).\n" + CONCEPT_DIST)
    expect(isinstance(result, tuple) and len(result) == 2,
           "policy_stats should return a tuple (log_probs, entropy).")
    return result


def _reference_stats(logits, actions):
    log_p = torch.log_softmax(logits.double(), dim=-1)
    picked = log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    entropy = -(log_p.exp() * log_p).sum(-1)
    return picked.float(), entropy.float()


def test_log_prob_and_entropy(exercise):
    """log_prob and entropy are (B,) and have the right values."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(7, 4, generator=g) * 2 - 1  # negative logits too
    actions = torch.randint(4, (7,), generator=g)
    log_probs, entropy = _stats(exercise, logits, actions)
    ref_logp, ref_entropy = _reference_stats(logits, actions)
    expect_tensor(log_probs, name="the log-prob tensor", shape=(7,), values=ref_logp, atol=1e-5,
                  concept=CONCEPT_DIST)
    expect_tensor(entropy, name="the entropy", shape=(7,), values=ref_entropy, atol=1e-5,
                  concept=CONCEPT_DIST + " Entropy is -sum(p * log p) over the actions.")


def test_entropy_extremes(exercise):
    """Entropy is log(n) for a uniform policy and about 0 for an almost certain one."""
    logits = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, -300.0, 300.0, 5.0]])
    _, entropy = _stats(exercise, logits, torch.tensor([0, 2]))
    expect_tensor(entropy, name="the entropy", shape=(2,), finite=True,
                  values=[math.log(4), 0.0], atol=1e-4,
                  concept="A uniform policy over 4 actions has entropy log 4; one that puts all "
                  "its probability on one action has entropy 0. Probabilities that underflow "
                  "to 0 must not turn 0 * log 0 into NaN: let Categorical do it.")


def test_batch_of_one(exercise):
    """One state: log_prob and entropy both come back with shape (1,)."""
    logits = torch.tensor([[0.5, -1.0, 2.0, 0.0]])
    log_probs, entropy = _stats(exercise, logits, torch.tensor([2]))
    ref_logp, ref_entropy = _reference_stats(logits, torch.tensor([2]))
    concept = (CONCEPT_DIST + " With B = 1 they are still (1,): squeeze(-1), not squeeze(), "
               "if you pick the log-prob by hand.")
    expect_tensor(log_probs, name="the log-prob tensor for a batch of one", shape=(1,),
                  values=ref_logp, atol=1e-5, concept=concept)
    expect_tensor(entropy, name="the entropy for a batch of one", shape=(1,),
                  values=ref_entropy, atol=1e-5, concept=concept)


def _policy(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 4))


def _expect_plain_cross_entropy(loss, want, logits, actions, step):
    """Name softmax-twice or an entropy bonus (a PPO / A2C habit) when it explains the loss."""
    if not isinstance(loss, float) or abs(loss - want) < 1e-5:
        return
    squashed = torch.nn.functional.cross_entropy(torch.softmax(logits, -1), actions)
    if abs(loss - squashed.item()) < 1e-5:
        fail(f"The loss at step {step + 1} is {loss:.5f}, cross_entropy of softmax(logits): "
             "softmax applied twice, since cross_entropy applies log_softmax itself. Give it "
             "the raw logits.\n" + CONCEPT_CE)
    entropy = torch.distributions.Categorical(logits=logits).entropy().mean().item()
    for coefficient in (0.001, 0.005, 0.01, 0.02, 0.05, 0.1):
        if abs(loss - (want - coefficient * entropy)) < 1e-5:
            fail(f"The loss at step {step + 1} is {loss:.5f}: the cross-entropy {want:.5f} minus "
                 f"{coefficient:g} x the policy's entropy. Behaviour cloning is plain "
                 "cross-entropy: an entropy bonus belongs to policy-gradient losses (A2C, PPO), "
                 "where it keeps the agent exploring; here it pulls the policy away from the "
                 "expert.\n" + CONCEPT_CE)


def test_behaviour_cloning_steps(exercise):
    """Three steps match a reference: right loss, zeroed gradients, parameters updated."""
    g = torch.Generator().manual_seed(1)
    obs = torch.randn(32, 3, generator=g)
    actions = torch.randint(4, (32,), generator=g)
    policy = _policy(2)
    reference = copy.deepcopy(policy)
    optimizer = torch.optim.SGD(policy.parameters(), lr=0.5)
    ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.5)
    for step in range(3):
        ref_logits = reference(obs)
        ref_loss = -torch.distributions.Categorical(logits=ref_logits).log_prob(actions).mean()
        ref_optimizer.zero_grad()
        ref_loss.backward()
        ref_optimizer.step()
        before = [p.detach().clone() for p in policy.parameters()]
        loss = exercise.behaviour_cloning_step(policy, optimizer, obs, actions)
        if isinstance(loss, torch.Tensor):  # the type is a test of its own, below
            expect(loss.numel() == 1, "behaviour_cloning_step should return the loss as a float.")
            loss = loss.item()
        _expect_plain_cross_entropy(loss, ref_loss.item(), ref_logits.detach(), actions, step)
        if isinstance(loss, float) and abs(loss - ref_loss.item()) > 1e-5:
            with torch.no_grad():
                after = torch.nn.functional.cross_entropy(reference(obs), actions).item()
            expect(abs(loss - after) > 1e-5,
                   f"The loss returned at step {step + 1} is {loss:.5f}: the loss of the policy "
                   f"AFTER the update, not the {ref_loss.item():.5f} it had before. Return the "
                   "loss that backward() was called on: compute it once, before the step, and "
                   "return loss.item().\n" + CONCEPT_CE)
        expect_close(loss, ref_loss.item(), name=f"the loss returned at step {step + 1}",
                     atol=1e-5, concept=CONCEPT_CE)
        unmoved = all(torch.equal(p, b) for p, b in zip(policy.parameters(), before, strict=True))
        expect(not unmoved,
               f"After step {step + 1} not one parameter of the policy changed: the update never "
               "reached them. Either step() was not called, or it found no gradients: zero_grad() "
               "between backward() and step() wipes the gradients backward() just wrote. The "
               "order is zero_grad(), backward(), step().\n" + CONCEPT_CE)
        pairs = zip(policy.named_parameters(), reference.parameters(), strict=True)
        drift = (" Parameters that match after step 1 and drift from step 2 on point at gradients "
                 "that were not zeroed.") if step else ""
        for (pname, p), ref_p in pairs:
            expect_tensor(p, name=f"the policy's {pname} after step {step + 1}",
                          values=ref_p, atol=1e-5, concept=CONCEPT_CE + drift)


def test_cloning_learns_the_expert(exercise):
    """Repeated steps raise the probability of the expert's actions."""
    g = torch.Generator().manual_seed(3)
    obs = torch.randn(64, 3, generator=g)
    actions = (obs[:, 0] > 0).long() * 2  # the expert: action 2 when obs[0] > 0, else 0
    policy = _policy(4)
    optimizer = torch.optim.Adam(policy.parameters(), lr=0.03)
    losses = [float(exercise.behaviour_cloning_step(policy, optimizer, obs, actions))
              for _ in range(60)]
    with torch.no_grad():
        accuracy = (policy(obs).argmax(-1) == actions).float().mean().item()
    expect(accuracy > 0.9 and losses[-1] < losses[0] * 0.5,
           f"After 60 steps the policy picks the expert's action in {accuracy:.0%} of states "
           f"and the loss went from {losses[0]:.3f} to {losses[-1]:.3f}; a correct step gets "
           "above 90% and halves the loss.\n" + CONCEPT_CE)


def test_returns_a_float(exercise):
    """behaviour_cloning_step returns the loss as a Python float, as its docstring says."""
    g = torch.Generator().manual_seed(5)
    obs, actions = torch.randn(8, 3, generator=g), torch.randint(4, (8,), generator=g)
    policy = _policy(6)
    loss = exercise.behaviour_cloning_step(policy, torch.optim.SGD(policy.parameters(), lr=0.1),
                                           obs, actions)
    expect_py_float(loss, name="the value behaviour_cloning_step returns",
                    concept="return loss.item(): a number to log, with no graph attached.")


def _name_log_of_probabilities(case, got, want):
    """Log-probs built from probabilities bottom out near log(eps) (about -16) or -inf."""
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], torch.Tensor)):
        return
    yours, promised = got[0].detach().double(), want[0].detach().double()
    if yours.shape != promised.shape:
        return
    unlikely = promised < -30
    if bool(unlikely.any()) and not torch.allclose(yours[unlikely], promised[unlikely], rtol=1e-4):
        fail(f"With logits as large as +-{case.axes['scale']:g} the log-prob of an unlikely "
             f"action is {promised[unlikely][0].item():.1f}, but yours is "
             f"{yours[unlikely][0].item():.4g}: it was taken from probabilities "
             "(Categorical(probs=softmax(...)), or log(softmax(...))), which round to 0 and are "
             "clamped near log(eps) = -16 or become -inf. RL log-probs must survive unlikely "
             "actions: Categorical(logits=logits) (or log_softmax) works in log space.\n"
             + CONCEPT_DIST)


def test_policy_stats_contract(exercise):
    """log_prob and entropy hold for any batch, any number of actions, float64 and logits of +-1000."""
    def inputs(draw):
        logits = draw.randn(draw["batch"], draw["actions"], scale=draw["scale"]).requires_grad_()
        return Args(logits, draw.randint(draw["actions"], draw["batch"]))

    def reference(logits, actions):
        log_p = torch.log_softmax(logits, dim=-1)
        entropy = -(log_p.exp() * log_p).sum(-1)
        return log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1), entropy

    check_contract(Contract(
        function="policy_stats", call=exercise.policy_stats, reference=reference, inputs=inputs,
        axes={"batch": [1, 6], "actions": [2, 3, 9], "dtype": [torch.float32, torch.float64],
              "scale": [1.0, EXTREME_LOGIT]},
        atol=1e-4, rtol=1e-5, diagnose=_name_log_of_probabilities, concept=CONCEPT_DIST,
        # Values at +-1000, gradients at moderate logits: torch.special.entr's gradient at a
        # probability of exactly 0 is 0 * inf, which the docstring never asks about.
        gradients=lambda axes: axes["scale"] == 1.0))

"""Check: the SAC actor step: rsample, min of the twins, alpha log pi - Q, the actor alone stepped."""

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot, expect_py_float

OBS, ACT = 3, 2
LR = 0.1
CONCEPT = (
    "mean, log_std = actor(obs); u = Normal(mean, log_std.exp()).rsample(); action, log_pi = "
    "squash(u, mean, log_std); loss = (float(alpha) * log_pi - torch.min(q1(obs, action), "
    "q2(obs, action))).mean(); optimizer.zero_grad(); loss.backward(inputs=list("
    "actor.parameters())); optimizer.step(); return loss.item()."
)


class _Actor(nn.Module):
    def __init__(self, dtype, act=ACT):
        super().__init__()
        torch.manual_seed(11)
        self.body = nn.Linear(OBS, 2 * act).to(dtype)
        with torch.no_grad():
            self.body.weight.mul_(0.5)

    def forward(self, obs):
        mean, log_std = self.body(obs).chunk(2, dim=-1)
        return mean, log_std.clamp(-1.5, 0.0)


class _Critic(nn.Module):
    """A critic that remembers the actions it was asked about."""

    def __init__(self, seed, dtype, act=ACT):
        super().__init__()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(OBS + act, 16), nn.Tanh(), nn.Linear(16, 1)).to(dtype)
        self.actions = []

    def forward(self, obs, action):
        self.actions.append(action)
        return self.net(torch.cat([obs, action], dim=-1)).squeeze(-1) * 3.0


def _setup(size=6, dtype=torch.float64, act=ACT, seed=0):
    actor = _Actor(dtype, act)
    q1, q2 = _Critic(21, dtype, act), _Critic(22, dtype, act)
    for critic in (q1, q2):  # the gradients the critics' own step left behind
        for p in critic.parameters():
            p.grad = torch.full_like(p, 0.25)
    for p in actor.parameters():  # and the actor's last step
        p.grad = torch.full_like(p, -0.5)
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(size, OBS, generator=g, dtype=dtype)
    return actor, q1, q2, obs


def _squash(u, mean, log_std):
    log_pi = torch.distributions.Normal(mean, log_std.exp()).log_prob(u) \
        - 2 * (math.log(2) - u - F.softplus(-2 * u))
    return torch.tanh(u), log_pi.sum(-1)


class _Run:
    """One call of the learner's step, and everything needed to judge it."""

    def __init__(self, exercise, size=6, dtype=torch.float64, act=ACT, alpha=0.3, seed=0):
        self.actor, self.q1, self.q2, self.obs = _setup(size, dtype, act, seed)
        self.before = copy.deepcopy((self.actor, self.q1, self.q2))
        self.grads_before = [[p.grad.clone() for p in critic.parameters()]
                             for critic in (self.q1, self.q2)]
        self.alpha = alpha
        self.snapshot = InputSnapshot(obs=self.obs)
        optimizer = torch.optim.SGD(self.actor.parameters(), lr=LR)
        torch.manual_seed(seed + 100)
        self.loss = exercise.sac_actor_step(self.actor, self.q1, self.q2, optimizer, self.obs,
                                            alpha)

    def action(self):
        """The action the critics were shown (the first one q1 saw)."""
        expect(bool(self.q1.actions) and bool(self.q2.actions),
               "sac_actor_step did not ask both critics about the action: the loss uses "
               "min(q1(obs, action), q2(obs, action)).\n" + CONCEPT)
        return self.q1.actions[0]

    def reference(self, twins=torch.min, entropy_sign=1.0, reduce=torch.mean, reparam=True):
        """The loss, and the actor after one SGD step on it, for the action the critics saw."""
        actor, q1, q2 = copy.deepcopy(self.before)
        alpha = float(self.alpha)
        mean, log_std = actor(self.obs)
        u_seen = torch.atanh(self.action().detach().clamp(-1 + 1e-12, 1 - 1e-12))
        noise = ((u_seen - mean) / log_std.exp()).detach()
        u = mean + log_std.exp() * noise if reparam else u_seen
        action, log_pi = _squash(u, mean, log_std)
        q = twins(q1.net(torch.cat([self.obs, action], -1)).squeeze(-1) * 3.0,
                  q2.net(torch.cat([self.obs, action], -1)).squeeze(-1) * 3.0)
        loss = reduce(entropy_sign * alpha * log_pi - q)
        optimizer = torch.optim.SGD(actor.parameters(), lr=LR)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss), actor


def test_loss_is_alpha_log_pi_minus_the_smaller_critic(exercise):
    """The returned loss is mean(alpha * log pi - min(Q1, Q2)) at the action the critics saw."""
    run = _Run(exercise)
    got = expect_py_float(run.loss, name="the loss sac_actor_step returns", concept=CONCEPT)
    right, _ = run.reference()
    stories = {
        "the MAX of the two critics: the actor would chase every overestimate of either one; "
        "take torch.min(q1(obs, action), q2(obs, action))": run.reference(twins=torch.max)[0],
        "the MEAN of the two critics: SAC takes the smaller one, elementwise":
            run.reference(twins=lambda a, b: (a + b) / 2)[0],
        "Q1 alone: both critics score the action and the smaller value is used":
            run.reference(twins=lambda a, b: a)[0],
        "- alpha * log pi: the actor PAYS alpha * log pi (a likely action costs more), so "
        "the loss is alpha * log_pi - Q": run.reference(entropy_sign=-1.0)[0],
        "the loss summed over the batch: average it (.mean())":
            run.reference(reduce=torch.sum)[0],
    }
    stories["Q - alpha * log pi: the sign of the whole loss is flipped; the optimizer "
            "minimises, so the loss is alpha * log_pi - min(Q1, Q2)"] = -right
    for story, wrong in stories.items():
        if abs(wrong - right) > 1e-6 and abs(got - wrong) < 1e-6:
            fail(f"The loss is {story}.\n" + CONCEPT)
    expect_close(got, right, name="the loss sac_actor_step returns", atol=1e-6,
                 concept=CONCEPT)


def test_the_action_is_reparameterised(exercise):
    """The action the critics score carries the graph back to the actor's mean and std."""
    run = _Run(exercise, seed=1)
    action = run.action()
    expect(action.grad_fn is not None,
           "The action given to the critics has no graph behind it: it was drawn with "
           "sample() (or detached), so no gradient can reach the actor through the critics' "
           "value, and the actor never learns which actions they rate highly. Draw u with "
           "rsample() (u = mean + std * noise).\n" + CONCEPT)


def test_the_actor_takes_one_step_on_the_loss(exercise):
    """After the call the actor's weights equal one SGD step on the loss, through the action."""
    run = _Run(exercise, seed=2)
    _, want = run.reference()
    _, no_path = run.reference(reparam=False)
    for (name, p), q, r in zip(run.actor.named_parameters(), want.parameters(),
                               no_path.parameters(), strict=True):
        if not torch.allclose(q, r, atol=1e-9) and torch.allclose(p, r, atol=1e-7):
            fail(f"The actor's {name} moved only by the gradient through log pi: the action "
                 "reached the critics without its graph (sample() or a detach). Use "
                 "rsample().\n" + CONCEPT)
        expect_tensor(p, name=f"the actor's {name} after one step", values=q, atol=1e-7,
                      concept="One step: zero_grad, backward, step, on the loss. " + CONCEPT)


def test_the_critics_are_left_exactly_as_they_were(exercise):
    """The critics' weights, .grad and requires_grad are the same after the call as before."""
    run = _Run(exercise, seed=3)
    for label, critic, before, grads in (("q1", run.q1, run.before[1], run.grads_before[0]),
                                         ("q2", run.q2, run.before[2], run.grads_before[1])):
        for (name, p), q, grad in zip(critic.named_parameters(), before.parameters(), grads,
                                      strict=True):
            expect(p.requires_grad,
                   f"The critic {label}'s {name} no longer requires grad: the critics were "
                   "frozen for the actor's step and never unfrozen, so their own step would "
                   "train nothing. Restore requires_grad_(True) afterwards (or use "
                   "loss.backward(inputs=...)).\n" + CONCEPT)
            expect_tensor(p, name=f"the critic {label}'s {name}", values=q,
                          concept="The actor's step must not move the critics. " + CONCEPT)
            if p.grad is None or not torch.equal(p.grad, grad):
                story = ("was cleared" if p.grad is None or not bool(p.grad.any()) else
                         "holds the actor's gradient added to it")
                fail(f"The critic {label}'s {name}.grad {story}: the actor loss's gradient "
                     "leaked into the critics. Another loop (gradient accumulation, clipping "
                     "from .grad, another order of steps) would then train the critics on the "
                     "actor's loss. Ask for the actor's gradients only: loss.backward(inputs="
                     "list(actor.parameters())), or freeze the critics and unfreeze them "
                     "afterwards.\n" + CONCEPT)


def test_alpha_as_a_tensor_gets_no_gradient(exercise):
    """alpha = log_alpha.exp() with grad: the step leaves log_alpha's .grad as None."""
    log_alpha = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    run = _Run(exercise, alpha=log_alpha.exp(), seed=4)
    expect(log_alpha.grad is None,
           "The actor's step sent a gradient into log_alpha: alpha is a constant in the "
           "actor loss (the temperature has its own loss). Use float(alpha) or "
           "alpha.detach().\n" + CONCEPT)
    right, _ = run.reference()
    expect_close(expect_py_float(run.loss, name="the loss", concept=CONCEPT), right,
                 name="the loss with alpha given as a tensor", atol=1e-6, concept=CONCEPT)


def test_dtypes_shapes_and_inputs(exercise):
    """float32, one action dim, a batch of one and of 64; obs is left unchanged."""
    for size, dtype, act in ((1, torch.float32, 1), (64, torch.float32, 3), (1, torch.float64, 2)):
        run = _Run(exercise, size=size, dtype=dtype, act=act, alpha=0.05, seed=5)
        run.snapshot.expect_untouched(function="sac_actor_step", concept=CONCEPT)
        where = f"for B = {size}, A = {act}, {dtype}"
        expect_tensor(run.action(), name=f"the action the critics saw {where}",
                      shape=(size, act), dtype=dtype, grad_fn=True, concept=CONCEPT)
        right, want = run.reference()
        tol = 1e-4 if dtype == torch.float32 else 1e-7
        expect_close(expect_py_float(run.loss, name=f"the loss {where}", concept=CONCEPT),
                     right, name=f"the loss {where}", atol=tol, concept=CONCEPT)
        for (name, p), q in zip(run.actor.named_parameters(), want.parameters(), strict=True):
            expect_tensor(p, name=f"the actor's {name} after one step {where}", values=q,
                          atol=tol, concept=CONCEPT)

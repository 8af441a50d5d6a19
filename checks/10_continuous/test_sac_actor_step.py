"""Check: the SAC actor step: rsample, min of the twins, alpha log pi - Q, the actor alone stepped."""

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot, expect_py_float
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

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

    def reference(self, twins=torch.min, entropy_sign=1.0, reduce=torch.mean, reparam=True,
                  summed_again=False):
        """The loss, and the actor after one SGD step on it, for the action the critics saw."""
        actor, q1, q2 = copy.deepcopy(self.before)
        alpha = float(self.alpha)
        mean, log_std = actor(self.obs)
        u_seen = torch.atanh(self.action().detach().clamp(-1 + 1e-12, 1 - 1e-12))
        noise = ((u_seen - mean) / log_std.exp()).detach()
        u = mean + log_std.exp() * noise if reparam else u_seen
        action, log_pi = _squash(u, mean, log_std)
        if summed_again:
            log_pi = log_pi.sum(-1)
        q = twins(q1.net(torch.cat([self.obs, action], -1)).squeeze(-1) * 3.0,
                  q2.net(torch.cat([self.obs, action], -1)).squeeze(-1) * 3.0)
        loss = reduce(entropy_sign * alpha * log_pi - q)
        optimizer = torch.optim.SGD(actor.parameters(), lr=LR)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item(), actor


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
        "one critic's value for the whole batch (Q1 alone, or the critic whose batch mean "
        "is smaller): the smaller value is taken per row, elementwise, "
        "torch.min(q1(obs, action), q2(obs, action)), before the mean":
            run.reference(twins=lambda a, b: a)[0],
        "log pi summed a second time: squash already sums over the action dims and returns "
        "(B,); another .sum(-1) adds up the whole batch": run.reference(summed_again=True)[0],
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
                   "train nothing. Give each parameter back the flag it had afterwards (or "
                   "use loss.backward(inputs=...)).\n" + CONCEPT)
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



# The contract: any obs and action dims, a batch of one and larger, float32 and float64,
# alpha as a float or as log_alpha.exp() with a graph, fresh and used networks, and critics
# that hold a frozen parameter of their own. The noise is the learner's to draw (any
# standard normal source), so each call is judged at the action the critics saw: the noise
# is read back from it, and the loss and the actor's step are worked out for that noise.

class _Policy(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.body = nn.Linear(obs_dim, 2 * act_dim)

    def forward(self, obs):
        mean, log_std = self.body(obs).chunk(2, dim=-1)
        return mean, log_std.clamp(-2.0, -0.5)  # |u| stays where tanh can be read back


class _Twin(nn.Module):
    """A critic that remembers the actions it was asked about."""

    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim + act_dim, 8), nn.Tanh(), nn.Linear(8, 1))
        self.actions = []

    def forward(self, obs, action):
        self.actions.append(action)
        return self.value(obs, action)

    def value(self, obs, action):
        return self.net(torch.cat([obs, action], dim=-1)).squeeze(-1) * 3.0


def _reference_step(actor, q1, q2, optimizer, obs, alpha):
    mean, log_std = actor(obs)
    u = torch.distributions.Normal(mean, log_std.exp()).rsample()
    action, log_pi = _squash(u, mean, log_std)
    loss = (float(alpha) * log_pi - torch.min(q1(obs, action), q2(obs, action))).mean()
    optimizer.zero_grad()
    loss.backward(inputs=list(actor.parameters()))
    optimizer.step()
    return loss.item()


def _promised(actor, q1, q2, obs, alpha, action_seen):
    """The loss and the actor's parameters after one SGD step, at the action the critics saw
    (copies of the networks as they went in)."""
    mean, log_std = actor(obs)
    u_seen = action_seen.detach().double().clamp(-1 + 1e-12, 1 - 1e-12).atanh().to(obs.dtype)
    noise = ((u_seen - mean) / log_std.exp()).detach()
    action, log_pi = _squash(mean + log_std.exp() * noise, mean, log_std)
    loss = (float(alpha) * log_pi - torch.min(q1.value(obs, action), q2.value(obs, action))).mean()
    params = list(actor.parameters())
    grads = torch.autograd.grad(loss, params)
    return loss.item(), [(p - LR * g).detach() for p, g in zip(params, grads, strict=True)]


def _critic_state(critic):
    return [(p.detach().clone(), None if p.grad is None else p.grad.clone(), p.requires_grad)
            for p in critic.parameters()]


def _session(step):
    """One actor step; every promise judged at the action the critics saw (zeros and the
    flags as they went in, when kept)."""
    def run(actor, q1, q2, obs, log_alpha, alpha_kind):
        alpha = log_alpha.exp() if alpha_kind == "log_alpha.exp()" else float(log_alpha.exp())
        networks = copy.deepcopy((actor, q1, q2))
        critics_before = [_critic_state(q) for q in (q1, q2)]
        q1.actions, q2.actions = [], []
        optimizer = torch.optim.SGD(actor.parameters(), lr=LR)
        loss = step(actor, q1, q2, optimizer, obs, alpha)
        asked = bool(q1.actions) and bool(q2.actions)
        result = {"both critics asked": asked}
        if asked:
            action = q1.actions[0]
            want_loss, want_params = _promised(*networks, obs, float(alpha), action)
            result["the action keeps its graph"] = action.grad_fn is not None
            result["loss - promised"] = loss - want_loss if isinstance(loss, float) else loss
            result["actor step - promised"] = [
                (p - w).detach() for p, w in zip(actor.parameters(), want_params, strict=True)]
        for name, critic, before in (("q1", q1, critics_before[0]), ("q2", q2, critics_before[1])):
            after = _critic_state(critic)
            result[f"{name} moved by"] = [a[0] - b[0] for a, b in zip(after, before, strict=True)]
            result[f"{name} requires_grad"] = [a[2] for a in after]
            result[f"{name} .grad kept"] = [
                (a[1] is None and b[1] is None) or (a[1] is not None and b[1] is not None
                                                    and torch.equal(a[1], b[1]))
                for a, b in zip(after, before, strict=True)]
        return result
    return run


def _explain_contract(case, got, want):
    """The check's words per broken promise; the harness's account says which case."""
    key = case.result_key
    where = f"With {case.label}: "
    if key == "both critics asked":
        fail(where + "sac_actor_step did not ask both critics about the action: the loss uses "
             "min(q1(obs, action), q2(obs, action)).\n" + CONCEPT)
    if key == "the action keeps its graph":
        fail(where + "the action the critics scored has no graph behind it: draw u with "
             "rsample() (u = mean + std * noise) and keep the squashed action attached.\n"
             + CONCEPT)
    if key in ("loss - promised", "actor step - promised"):
        what = ("the returned loss is not" if key == "loss - promised" else
                "the actor's parameters after the call are not one SGD step on")
        one = (" If it is right for a batch of one, look at what happens across rows: the min "
               "of the two critics is taken per row, elementwise; squash already sums log pi "
               "over the action dims, giving (B,); the loss is the mean over the batch."
               if case.axes.get("batch", 1) > 1 else "")
        fail(where + f"{what} mean(alpha * log pi - min(Q1, Q2)) at the action the critics "
             f"saw, with alpha a plain number.{one}\n({case.problem})\n" + CONCEPT)
    if key.endswith("requires_grad"):
        fail(where + f"the critic {key.split()[0]}'s parameters came back with other "
             f"requires_grad flags ({got[key]}, went in as {want[key]}). Freezing the critics "
             "for the actor's step is fine, but give each parameter back the flag it had (a "
             "critic may hold a frozen parameter of its own): save the flags first. Or leave "
             "them alone and ask autograd for the actor's gradients only.\n" + CONCEPT)
    if key.endswith("moved by"):
        fail(where + f"the critic {key.split()[0]}'s weights moved: the actor's step must not "
             "change the critics.\n" + CONCEPT)
    if key.endswith(".grad kept"):
        fail(where + f"the critic {key.split()[0]}'s .grad changed: the actor loss's gradient "
             "leaked into the critics (or their gradients were cleared). Ask for the actor's "
             "gradients only: loss.backward(inputs=list(actor.parameters())).\n" + CONCEPT)


def test_contract(exercise):
    """sac_actor_step keeps its promise for any dims, a batch of one and larger, float32 and
    float64, alpha as a number or a tensor with a graph, fresh and used networks, and critics
    with a frozen parameter of their own."""
    def inputs(draw):
        (obs_dim, act_dim), dtype = draw["dims"], draw["dtype"]
        actor = _Policy(obs_dim, act_dim).to(dtype)
        q1, q2 = _Twin(obs_dim, act_dim).to(dtype), _Twin(obs_dim, act_dim).to(dtype)
        with torch.no_grad():
            for p in actor.parameters():
                p.copy_(draw.randn(*p.shape, scale=0.4))
            for critic in (q1, q2):
                for p in critic.parameters():
                    p.copy_(draw.randn(*p.shape, scale=0.7))
        for network in ((actor,) if draw["actor"] == "used" else ()) + (
                (q1, q2) if draw["critics"] != "fresh" else ()):
            for p in network.parameters():
                p.grad = draw.randn(*p.shape)  # what the last steps left behind
        if draw["critics"] == "used, one frozen layer":
            for critic in (q1, q2):
                critic.net[0].bias.requires_grad_(False)
                critic.net[0].bias.grad = None
        log_alpha = (draw.randn(1, scale=0.5).squeeze() - 1.5).requires_grad_()
        return Args(actor, q1, q2, draw.randn(draw["batch"], obs_dim), log_alpha,
                    draw["alpha"])
    check_contract(Contract(
        function="sac_actor_step", call=_session(exercise.sac_actor_step),
        reference=_session(_reference_step), inputs=inputs,
        axes={"batch": [1, 7], "dims": [(3, 1), (2, 3)], "dtype": [torch.float32, torch.float64],
              "alpha": ["float", "log_alpha.exp()"], "actor": ["fresh", "used"],
              "critics": ["fresh", "used", "used, one frozen layer"]},
        atol=1e-4, rtol=1e-4, tolerance={torch.float64: (1e-8, 1e-7)}, gradients=False,
        uses_rng=True, diagnose=_explain_contract, concept=CONCEPT))

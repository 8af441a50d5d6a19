"""Check: the PPO update: shuffled minibatches each epoch, clip before step, KL early stop."""

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.distributions import Categorical

from torchlings.checkapi.testing import expect, expect_tensor, fail, record_series
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.spies import Event, EventLog, spy_optimizer, watch_backward

OBS, ACTIONS, SIZE, MINIBATCH = 3, 3, 20, 6  # 4 minibatches an epoch: 6, 6, 6 and 2
CONCEPT = (
    "for each epoch: order = torch.randperm(B, generator=generator); for each slice idx of "
    "minibatch_size: forward on rollout.obs[idx]; approx_kl from the rollout's log-probs "
    "(stop everything if > target_kl); loss; zero_grad; backward; clip_grad_norm_; step."
)


class Rollout(NamedTuple):
    obs: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor


class Forward(NamedTuple):
    idx: list[int]  # which rollout samples the minibatch held, in order
    log_probs: torch.Tensor  # what the agent answered
    grad: bool  # grad mode during the call
    params: dict[str, torch.Tensor]  # the weights at the time


class SpyAgent(nn.Module):
    """A tiny actor-critic that records every evaluate() call in the log."""

    def __init__(self, rollout_obs, log):
        super().__init__()
        with torch.random.fork_rng():  # the same weights every time; the global RNG untouched
            torch.manual_seed(0)
            self.actor = nn.Linear(OBS, ACTIONS)
            self.critic = nn.Linear(OBS, 1)
        self._rollout_obs, self._log, self.forwards = rollout_obs, log, []

    def forward(self, obs):
        fail("ppo_update called agent(obs). This agent's interface is "
             "agent.evaluate(obs, actions), which returns (log_probs, entropy, values) for a "
             "minibatch: call that once per minibatch.")

    def _logits_values(self, obs):
        return self.actor(obs), self.critic(obs).squeeze(-1)

    def evaluate(self, obs, actions):
        logits, values = self._logits_values(obs)
        dist = Categorical(logits=logits)
        log_probs = dist.log_prob(actions)
        match = (obs.detach().unsqueeze(1) == self._rollout_obs.unsqueeze(0)).all(-1)
        idx = [int(row.nonzero()[0]) if row.any() else -1 for row in match]
        self.forwards.append(Forward(idx, log_probs.detach().clone(), torch.is_grad_enabled(),
                                     {k: v.detach().clone() for k, v in self.state_dict().items()}))
        self._log.events.append(Event("forward"))
        return log_probs, dist.entropy(), values


def _rollout(seed, noise):
    """Samples whose stored log-probs came from an older policy (off by `noise`)."""
    g = torch.Generator().manual_seed(seed)
    obs = torch.randn(SIZE, OBS, generator=g)
    actions = torch.randint(ACTIONS, (SIZE,), generator=g)
    probe = SpyAgent(obs, EventLog())
    with torch.no_grad():
        current = Categorical(logits=probe.actor(obs)).log_prob(actions)
    old = current + noise * torch.randn(SIZE, generator=g)
    return Rollout(obs, actions, old, torch.randn(SIZE, generator=g) * 2.0,
                   torch.randn(SIZE, generator=g))


def _reference_grads(forward, rollout, max_grad_norm, *, recomputed_old=False,
                     normalised=False):
    """The clipped gradient PPO should step with, for the minibatch this forward saw."""
    agent = SpyAgent(rollout.obs, EventLog())
    agent.load_state_dict(forward.params)
    idx = torch.tensor(forward.idx)
    logits, values = agent._logits_values(rollout.obs[idx])
    dist = Categorical(logits=logits)
    new = dist.log_prob(rollout.actions[idx])
    old = new.detach() if recomputed_old else rollout.log_probs[idx]
    ratio = (new - old).exp()
    adv = rollout.advantages[idx]
    if normalised:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    policy = -torch.min(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean()
    loss = policy + 0.5 * (values - rollout.returns[idx]).pow(2).mean() - 0.01 * dist.entropy().mean()
    loss.backward()
    nn.utils.clip_grad_norm_(agent.parameters(), max_grad_norm)
    return [p.grad for p in agent.parameters()]


def _same(grads, want):
    return all(g is not None and torch.allclose(g, w, atol=1e-5, rtol=1e-4)
               for g, w in zip(grads, want, strict=True))


def _expect_gradients_at_step(step, where):
    """A step must find backward's gradients on the parameters, not cleared ones."""
    empty = [g is None or not bool(g.any()) for g in step.grads]
    expect(not all(empty),
           f"optimizer.step() at {where} found no gradients on the parameters (p.grad None or "
           "all zero): the gradients were cleared between backward and step, so the step "
           "changed nothing. zero_grad() goes BEFORE backward(): zero_grad; backward; "
           "clip_grad_norm_; step.\n" + CONCEPT)


def _explain_gradient(forward, step, rollout, max_grad_norm, where):
    """Name the classic mistake when a step's gradient matches it rather than PPO's."""
    _expect_gradients_at_step(step, where)
    if _same(step.grads, _reference_grads(forward, rollout, max_grad_norm)):
        return
    if _same(step.grads, _reference_grads(forward, rollout, max_grad_norm, recomputed_old=True)):
        fail(f"The gradient at {where} is the one for ratio = 1: the old log-probs were "
             "recomputed from the current policy instead of taken from rollout.log_probs. "
             "PPO's ratio compares the policy now with the one that COLLECTED the data, "
             "whose log-probs were stored when it acted.\n" + CONCEPT)
    if _same(step.grads, _reference_grads(forward, rollout, max_grad_norm, normalised=True)):
        fail(f"The gradient at {where} is the one for advantages normalised per minibatch. "
             "CleanRL and SB3 do that here; this exercise uses rollout.advantages as stored "
             "(you normalised them in advantage_norm).\n" + CONCEPT)


def _kl(forward, rollout):
    log_ratio = forward.log_probs - rollout.log_probs[torch.tensor(forward.idx)]
    return float(((log_ratio.exp() - 1) - log_ratio).mean())


class Run(NamedTuple):
    result: object
    log: EventLog
    agent: SpyAgent
    rollout: Rollout
    trained: list[tuple[Forward, Event]]  # each optimizer step with the forward it used


def _run(exercise, *, epochs=3, noise=0.1, lr=0.01, max_grad_norm=10.0, target_kl=None, seed=0):
    rollout = _rollout(seed, noise)
    log = EventLog()
    agent = SpyAgent(rollout.obs, log)
    watch_backward(agent.parameters(), log)
    optimizer = spy_optimizer(torch.optim.Adam, agent.parameters(), log, lr=lr)
    result = exercise.ppo_update(
        agent, optimizer, rollout, epochs=epochs, minibatch_size=MINIBATCH,
        generator=torch.Generator().manual_seed(seed + 100), clip_eps=0.2, vf_coef=0.5,
        ent_coef=0.01, max_grad_norm=max_grad_norm, target_kl=target_kl)
    trained, last, seen = [], None, 0
    for event in log.events:
        if event.kind == "forward":
            forward = agent.forwards[seen]
            seen += 1
            if forward.grad:
                last = forward
        elif event.kind == "step":
            expect(last is not None, "optimizer.step() ran before any agent.evaluate() call with "
                   "grad enabled: each step needs a forward pass on its minibatch first.\n"
                   + CONCEPT)
            trained.append((last, event))
    return Run(result, log, agent, rollout, trained)


def _epochs(run, epochs):
    """The trained minibatches cut into epochs of SIZE samples each."""
    flat = [i for forward, _ in run.trained for i in forward.idx]
    expect(-1 not in flat, "A minibatch held an observation that is not in the rollout: index "
           "rollout.obs with the minibatch's indices, unchanged.")
    expect(len(flat) == epochs * SIZE,
           f"Over {epochs} epochs the optimizer stepped on {len(flat)} samples in all; with "
           f"{SIZE} samples that should be {epochs * SIZE}: every sample once per epoch. "
           f"Minibatch sizes seen: {[len(f.idx) for f, _ in run.trained]}. The last minibatch of "
           f"an epoch may be smaller ({SIZE} = 6 + 6 + 6 + 2): range(0, B, minibatch_size) "
           "keeps it.\n" + CONCEPT)
    return [flat[e * SIZE:(e + 1) * SIZE] for e in range(epochs)]


def test_returns_the_number_of_steps(exercise):
    """Without a KL target: epochs x minibatches steps, returned as a Python int."""
    run = _run(exercise, epochs=3)
    steps = len(run.log.steps())
    expect(isinstance(run.result, int) and not isinstance(run.result, bool),
           f"ppo_update should return the number of optimizer steps as a Python int; it "
           f"returned {type(run.result).__name__} ({run.result!r}).")
    expect(steps == 12, f"3 epochs of {SIZE} samples in minibatches of {MINIBATCH} is 4 "
           f"minibatches an epoch (6 + 6 + 6 + 2: keep the short last one, as range(0, B, "
           f"minibatch_size) does), 12 optimizer steps; the spy counted {steps}.\n" + CONCEPT)
    expect(run.result == steps, f"ppo_update returned {run.result} but took {steps} steps.")


def test_every_sample_once_per_epoch(exercise):
    """Each epoch's minibatches cover every sample exactly once, minibatch_size at a time."""
    run = _run(exercise, epochs=2)
    for forward, _ in run.trained:
        expect(len(forward.idx) <= MINIBATCH,
               f"A minibatch held {len(forward.idx)} samples; minibatch_size is {MINIBATCH}.")
    for number, epoch in enumerate(_epochs(run, 2), start=1):
        missing = sorted(set(range(SIZE)) - set(epoch))
        expect(not missing, f"In epoch {number} samples {missing} were never trained on, and "
               "others twice: slice ONE permutation of all B indices per epoch into minibatches "
               "(torch.randperm, not random draws with replacement).\n" + CONCEPT)


def test_shuffled_anew_each_epoch(exercise):
    """Minibatches are drawn from a fresh permutation every epoch."""
    run = _run(exercise, epochs=3)
    orders = _epochs(run, 3)
    expect(orders[0] != list(range(SIZE)),
           "The first epoch walked the rollout in stored order 0, 1, 2, ...: the minibatches "
           "are not shuffled. Neighbouring samples are correlated (same env, consecutive "
           "steps); draw order = torch.randperm(B, generator=generator).\n" + CONCEPT)
    expect(orders[0] != orders[1] and orders[1] != orders[2],
           "Every epoch used the same sample order: the permutation was drawn once, before the "
           "epoch loop. Draw a new one at the start of each epoch.\n" + CONCEPT)


def test_shuffles_with_the_given_generator(exercise):
    """The order comes from `generator`: same seed, same order; the global RNG untouched."""
    torch.manual_seed(1)
    first = _run(exercise, epochs=2)
    torch.manual_seed(2)  # a different global seed must not change anything
    second = _run(exercise, epochs=2)
    expect(_epochs(first, 2) == _epochs(second, 2),
           "Two updates with generators seeded alike shuffled differently: the permutation "
           "came from the global RNG. Pass it in: torch.randperm(B, generator=generator).")
    replay = torch.Generator().manual_seed(100)  # _run's generator for seed 0
    want = [torch.randperm(SIZE, generator=replay).tolist() for _ in range(2)]
    expect(_epochs(first, 2) == want,
           "Your epochs shuffle with `generator`, but not as torch.randperm(size, "
           "generator=generator) does (one call per epoch, nothing else drawn from the generator "
           "before it): a permutation made another way (argsort of torch.rand, say) is random "
           "too, but the docstring asks for randperm's exact draws so that an update can be "
           "replayed, and this check replays it.\n" + CONCEPT)


def test_zero_grad_every_minibatch(exercise):
    """No backward pass adds to gradients left over from the previous minibatch."""
    run = _run(exercise, epochs=2)
    for number, event in enumerate(run.log.of_kind("backward"), start=1):
        expect(not event.stale,
               f"Backward pass {number} added to gradients left from the previous minibatch: "
               "call optimizer.zero_grad() every minibatch, before backward(). Order seen: "
               f"{run.log.describe()}.\n" + CONCEPT)


def test_step_finds_the_gradients(exercise):
    """Every step finds backward's gradients: nothing clears them before step()."""
    run = _run(exercise, epochs=1)
    for number, (_, step) in enumerate(run.trained, start=1):
        _expect_gradients_at_step(step, f"step {number}")


def test_clip_between_backward_and_step(exercise):
    """Every step applies gradients already clipped to max_grad_norm."""
    run = _run(exercise, epochs=1, max_grad_norm=0.05)
    for number, (_, step) in enumerate(run.trained, start=1):
        expect(step.grad_norm <= 0.05 * (1 + 1e-4),
               f"Optimizer step {number} applied gradients of global norm {step.grad_norm:.4g}; "
               "max_grad_norm is 0.05. torch.nn.utils.clip_grad_norm_(agent.parameters(), "
               "max_grad_norm) must run after backward() and BEFORE step(): clipping after the "
               "step clips gradients that were already used.\n" + CONCEPT)


def test_first_step_uses_the_rollout_as_stored(exercise):
    """The first step's loss uses the rollout as stored: its old log-probs and advantages."""
    run = _run(exercise, epochs=1, noise=0.4)
    forward, step = run.trained[0]
    want = _reference_grads(forward, run.rollout, 10.0)
    _explain_gradient(forward, step, run.rollout, 10.0, "the first step")
    for (name, _), g, w in zip(run.agent.named_parameters(), step.grads, want, strict=True):
        expect_tensor(g, name=f"the gradient of {name} at the first step", values=w, atol=1e-5,
                      rtol=1e-4, concept="The step should apply the clipped gradient of the PPO "
                      "loss on this minibatch, with the old log-probs and the advantages as the "
                      "rollout stored them. " + CONCEPT)


def test_every_step_uses_its_minibatch(exercise):
    """Each step applies the clipped PPO gradient of the minibatch just evaluated."""
    run = _run(exercise, epochs=2, max_grad_norm=0.3)
    for number, (forward, step) in enumerate(run.trained, start=1):
        want = _reference_grads(forward, run.rollout, 0.3)
        _explain_gradient(forward, step, run.rollout, 0.3, f"step {number}")
        for (name, _), g, w in zip(run.agent.named_parameters(), step.grads, want, strict=True):
            expect_tensor(g, name=f"the gradient of {name} at step {number}", values=w,
                          atol=1e-5, rtol=1e-4, concept=CONCEPT)


def test_early_stop_on_kl(exercise):
    """Once approx KL passes target_kl the whole update stops: no step, no next epoch."""
    target = 0.02
    run = _run(exercise, epochs=4, lr=0.05, target_kl=target)
    record_series("approx KL of each minibatch evaluated",
                  [_kl(forward, run.rollout) for forward in run.agent.forwards])
    over = None
    for number, forward in enumerate(run.agent.forwards):
        kl = _kl(forward, run.rollout)
        if kl > target:
            over = (number, kl)
            break
    for number, (forward, _) in enumerate(run.trained, start=1):
        kl = _kl(forward, run.rollout)
        expect(kl <= target,
               f"Step {number} was taken on a minibatch whose approx KL "
               f"((ratio - 1) - log ratio).mean() was {kl:.4f}, above target_kl = {target}. "
               "Check the KL right after the minibatch's forward pass and stop before its "
               "backward and step (CleanRL only checks at the end of each epoch; this "
               "exercise stops at once).\n" + CONCEPT)
    expect(over is not None, f"The update took {len(run.trained)} steps and stopped without "
           f"the approx KL ever passing target_kl = {target}: stop only when it does.")
    later = len(run.agent.forwards) - 1 - over[0]
    expect(later == 0,
           f"After a minibatch's approx KL reached {over[1]:.4f} > target_kl = {target}, the "
           f"update went on: {later} more forward pass(es), into the next epoch. A break "
           "leaves only the inner loop; stop the epochs too (return, or a flag).\n" + CONCEPT)
    expect(run.result == len(run.trained), f"ppo_update returned {run.result} after "
           f"{len(run.trained)} optimizer steps: return the steps actually taken.")


def _steps_with_stored_log_probs_off_by(exercise, delta: float, target_kl: float) -> int:
    """Optimizer steps taken when every stored log-prob is the current one + delta, so each
    minibatch's approx KL is exactly exp(-delta) - 1 + delta (a tiny lr keeps it there)."""
    rollout = _rollout(0, 0.0)
    rollout = rollout._replace(log_probs=rollout.log_probs + delta)
    log = EventLog()
    agent = SpyAgent(rollout.obs, log)
    optimizer = spy_optimizer(torch.optim.SGD, agent.parameters(), log, lr=1e-7)
    exercise.ppo_update(agent, optimizer, rollout, epochs=1, minibatch_size=MINIBATCH,
                        generator=torch.Generator().manual_seed(3), target_kl=target_kl)
    return log.kinds().count("step")


def test_kl_estimate_and_threshold_are_the_docstrings(exercise):
    """approx KL uses log_ratio = new - old, and the update stops as soon as it passes
    target_kl itself."""
    kl = math.exp(-0.3) - 1 + 0.3  # 0.0408; with the log ratio reversed it reads 0.0499
    steps = _steps_with_stored_log_probs_off_by(exercise, 0.3, target_kl=0.045)
    expect(steps > 0,
           f"Every minibatch's approx KL was {kl:.4f}, below target_kl = 0.045, yet the update "
           "stopped before its first step. Your estimate reads about 0.0499: the log ratio is "
           "reversed. log_ratio = new_log_probs - old_log_probs (the log of new / old), then "
           "approx_kl = ((log_ratio.exp() - 1) - log_ratio).mean().\n" + CONCEPT)
    steps = _steps_with_stored_log_probs_off_by(exercise, 0.3, target_kl=0.03)
    expect(steps == 0,
           f"The first minibatch's approx KL was {kl:.4f}, above target_kl = 0.03, yet the "
           f"update took {steps} step(s). Stop as soon as approx_kl > target_kl: compare with "
           "target_kl itself, not with a margin such as SB3's 1.5 * target_kl.\n" + CONCEPT)


def _reference_update(agent, optimizer, rollout, *, epochs, minibatch_size, generator, clip_eps,
                      vf_coef, ent_coef, max_grad_norm, target_kl):
    """The docstring's loop, written once."""
    steps = 0
    for _ in range(epochs):
        order = torch.randperm(rollout.obs.shape[0], generator=generator)
        for idx in order.split(minibatch_size):
            new, entropy, values = agent.evaluate(rollout.obs[idx], rollout.actions[idx])
            with torch.no_grad():
                log_ratio = new - rollout.log_probs[idx]
                approx_kl = float(((log_ratio.exp() - 1) - log_ratio).mean())
            if target_kl is not None and approx_kl > target_kl:
                return steps
            ratio = (new - rollout.log_probs[idx]).exp()
            adv = rollout.advantages[idx]
            loss = (-torch.min(ratio * adv, ratio.clamp(1 - clip_eps, 1 + clip_eps) * adv).mean()
                    + vf_coef * (values - rollout.returns[idx]).pow(2).mean()
                    - ent_coef * entropy.mean())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), max_grad_norm)
            optimizer.step()
            steps += 1
    return steps


class _ContractAgent(nn.Module):
    """A two-layer actor-critic; its weights come from the case's seed."""

    def __init__(self, seed):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.actor = nn.Sequential(nn.Linear(OBS, 8), nn.Tanh(), nn.Linear(8, ACTIONS))
            self.critic = nn.Linear(OBS, 1)

    def evaluate(self, obs, actions):
        dist = Categorical(logits=self.actor(obs))
        return dist.log_prob(actions), dist.entropy(), self.critic(obs).squeeze(-1)


def _trained(update):
    """Run an update on (agent, optimizer) built together (so a copy keeps them linked) and a
    fresh generator from the case's seed; judge the steps it reports and the weights it leaves."""
    def call(agent_and_optimizer, rollout, *, shuffle_seed, **options):
        agent, optimizer = agent_and_optimizer
        steps = update(agent, optimizer, rollout, generator=torch.Generator().manual_seed(
            shuffle_seed), **options)
        return steps, {k: v.detach().clone() for k, v in agent.state_dict().items()}
    return call


def _explain_steps(case, got, want):
    """Name what a different number of steps means, in the words of the docstring."""
    if not (isinstance(got, tuple) and len(got) == 2 and got[0] != want[0]):
        return
    target = case.axes["target_kl"]
    if target == 0.0 and isinstance(got[0], int) and got[0] > want[0]:
        fail(f"With target_kl = 0.0 the update took {got[0]} steps; expected {want[0]}. 0.0 is "
             "a target like any other (every minibatch whose approx KL is above 0 stops the "
             "update), not \"off\": `if target_kl and ...` treats it as None. Test `target_kl "
             "is not None`.\n" + CONCEPT)
    if target is not None:
        fail(f"With target_kl = {target} ({case.label}) the update took {got[0]} steps; "
             f"expected {want[0]}. The KL brake is judged per minibatch: right after that "
             "minibatch's forward pass, approx_kl = ((log_ratio.exp() - 1) - log_ratio).mean() "
             "over ITS samples (log_ratio = new - rollout.log_probs[idx]), and the whole update "
             "stops the first time it is above target_kl.\n" + CONCEPT)


def test_contract(exercise):
    """ppo_update keeps its promise on every rollout and setting the docstring allows."""
    def inputs(draw):
        size = draw["size"]
        obs = draw.randn(size, OBS)
        actions = draw.randint(ACTIONS, size)
        agent = _ContractAgent(draw.seed())
        with torch.no_grad():
            current = Categorical(logits=agent.actor(obs)).log_prob(actions)
        # Old log-probs off by different amounts: minibatches' KLs spread around the target.
        spread = draw.rand(size) * draw.randn(size) * 0.8
        rollout = Rollout(obs, actions, current + spread, draw.randn(size, scale=2.0),
                          draw.randn(size))
        optimizer = torch.optim.SGD(agent.parameters(), lr=0.2)
        return Args((agent, optimizer), rollout, shuffle_seed=draw.seed(), epochs=draw["epochs"],
                    minibatch_size=draw["minibatch_size"], clip_eps=0.2, vf_coef=0.5,
                    ent_coef=0.01, max_grad_norm=draw["max_grad_norm"],
                    target_kl=draw["target_kl"])
    check_contract(Contract(
        function="ppo_update", call=_trained(exercise.ppo_update),
        reference=_trained(_reference_update), inputs=inputs,
        axes={"size": [1, 13], "epochs": [1, 3], "minibatch_size": [4, 32],
              "max_grad_norm": [0.05, 10.0], "target_kl": [None, 0.0, 0.01, 0.05]},
        atol=1e-5, rtol=1e-4, gradients=False, diagnose=_explain_steps, concept=CONCEPT, budget=8))

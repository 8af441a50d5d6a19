"""Check: returns-to-go and the REINFORCE losses, then an agent that learns CartPole-v1.

The piece tests come first and run in milliseconds, so a wrong piece fails
with a precise message before any training. The training test asks each
piece again before it trains (a wrong piece would only burn the step budget).

Bar and budget, measured with bench/capstones.py on this 2-core machine: the
solution reached a 20-episode mean of 195 on all of seeds 0-11, within
7,200-15,500 steps (0.9-2.5 s of CPU each, under heavy load); the budget is
40,000 steps per seed, over 2.5 times the worst. The check trains seeds 0, 1,
2 and requires every one to reach the bar.
"""

import torch

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.gym import expect_learns, piece, require_pieces
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

SEEDS = (0, 1, 2)
BUDGET = 40_000
BAR = 195.0

RETURNS_CONCEPT = (
    "Returns-to-go, backwards: running = rewards[t] + gamma * (1 - dones[t]) * running; "
    "G[t] = running. dones[t] = 1 marks the LAST step of an episode, where the sum starts over."
)
LOSS_CONCEPT = (
    "REINFORCE with a baseline: advantages = returns - values.detach(); policy_loss = "
    "-(log_probs * advantages).mean(); value_loss = (values - returns).pow(2).mean()."
)


def _reference_returns(rewards, dones, gamma, *, shifted=False, dones_ignored=False,
                       dtype=torch.float32):
    """The course's returns; shifted=True masks with dones[t + 1], CleanRL's convention,
    dones_ignored=True never starts the sum again (two classic mistakes)."""
    out, running = [0.0] * len(rewards), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        # At the last step running is still 0, so the shifted mask's missing dones[T] is moot.
        done = (dones[t + 1] if t + 1 < len(dones) else 1.0) if shifted else dones[t]
        running = rewards[t] + gamma * (1.0 - (0.0 if dones_ignored else done)) * running
        out[t] = running
    return torch.tensor(out, dtype=dtype)


def _probe_returns(exercise):
    rewards = [1.0, 2.0, -1.0, 0.5, 3.0, 1.0]
    for dones, what in (([0.0, 0.0, 0.0, 0.0, 0.0, 1.0], "one episode of six steps"),
                        ([0.0, 1.0, 0.0, 0.0, 1.0, 1.0], "episodes of 2, 3 and 1 steps")):
        rewards_t, dones_t = torch.tensor(rewards), torch.tensor(dones)
        inputs = InputSnapshot(rewards=rewards_t, dones=dones_t)
        got = exercise.returns_to_go(rewards_t, dones_t, 0.9)
        inputs.expect_untouched(function="returns_to_go", concept=RETURNS_CONCEPT)
        name = f"the returns-to-go ({what}, gamma 0.9)"
        expect_tensor(got, name=name, shape=(6,), finite=True, concept=RETURNS_CONCEPT)
        shifted = _reference_returns(rewards, dones, 0.9, shifted=True)
        if torch.allclose(got.detach().float(), shifted, atol=1e-5):
            fail(f"{name} are cut one step early: they mask with 1 - dones[t + 1], CleanRL's "
                 "habit, where dones flags the FIRST step of the next episode. In this course "
                 "dones[t] = 1 on the LAST step of an episode, so the mask is 1 - dones[t].\n"
                 + RETURNS_CONCEPT)
        expect_tensor(got, name=name, values=_reference_returns(rewards, dones, 0.9),
                      atol=1e-5, concept=RETURNS_CONCEPT)


def _loss_inputs():
    g = torch.Generator().manual_seed(3)
    log_probs = (-torch.rand(8, generator=g) - 0.1).requires_grad_()
    values = torch.randn(8, generator=g).requires_grad_()
    returns = torch.randn(8, generator=g) * 3
    return log_probs, values, returns


def _normalised_policy_losses(log_probs, advantages):
    """The policy loss with advantages normalised, with std's two usual corrections."""
    centred = advantages - advantages.mean()
    return [-(log_probs * centred / (centred.std(correction=c) + 1e-8)).mean().item()
            for c in (0, 1)]


def _probe_losses(exercise):
    log_probs, values, returns = _loss_inputs()
    inputs = InputSnapshot(returns=returns)
    got = exercise.reinforce_losses(log_probs, values, returns)
    inputs.expect_untouched(function="reinforce_losses", concept=LOSS_CONCEPT)
    expect(isinstance(got, tuple) and len(got) == 2,
           "reinforce_losses should return two scalars: (policy_loss, value_loss).")
    policy_loss, value_loss = got
    expect_tensor(policy_loss, name="the policy loss", shape=(), grad_fn=True, finite=True,
                  concept="The policy loss is one number that carries grad to the log-probs. "
                  + LOSS_CONCEPT)
    expect_tensor(value_loss, name="the value loss", shape=(), grad_fn=True, finite=True,
                  concept="The value loss is one number that carries grad to the values. "
                  + LOSS_CONCEPT)
    to_values = torch.autograd.grad(policy_loss, values, retain_graph=True, allow_unused=True)[0]
    if to_values is not None and bool(to_values.abs().gt(1e-8).any()):
        fail("The policy loss sends gradient into the baseline's values: the advantage is not "
             "a constant. Gradient descent on it would drag V(s) wherever raises the policy "
             "loss, not toward the returns. Use returns - values.detach().\n" + LOSS_CONCEPT)
    with torch.no_grad():
        advantages = returns - values
        want_policy = -(log_probs * advantages).mean().item()
        no_baseline = -(log_probs * returns).mean().item()
        want_value = (values - returns).pow(2).mean().item()
    got_policy, got_value, steps = policy_loss.item(), value_loss.item(), len(returns)
    if abs(got_policy + want_policy) < 1e-5:
        fail("The policy loss has the right size but the wrong sign. Optimisers minimise, and "
             "we want log pi(a|s) * A to go UP, so the loss is MINUS it.\n" + LOSS_CONCEPT)
    if abs(got_policy - no_baseline) < 1e-5:
        fail("The policy loss weights the log-probs by the raw returns: the baseline is "
             "missing. Subtract V(s) (detached) from the returns first; it cuts the variance "
             "without changing what the gradient aims at.\n" + LOSS_CONCEPT)
    if abs(got_policy - steps * want_policy) < 1e-4:
        fail(f"The policy loss is {steps} times too big (for {steps} steps): a sum instead "
             "of a mean. A sum makes the step size grow with the batch; use .mean().\n"
             + LOSS_CONCEPT)
    if any(abs(got_policy - normed) < 1e-5 for normed in _normalised_policy_losses(
            log_probs.detach(), advantages)):
        fail("The policy loss uses normalised advantages (shifted to zero mean, scaled to unit "
             "std). That is a PPO/A2C habit, not part of this REINFORCE: weight the log-probs "
             "by returns - values.detach() as they are.\n" + LOSS_CONCEPT)
    expect_close(got_policy, want_policy, name="the policy loss", atol=1e-5,
                 concept=LOSS_CONCEPT)
    for ratio, why in ((0.5, "a 0.5 * MSE value loss (the CleanRL/SB3 habit, where 0.5 is a "
                        "weight on the value term); here the value loss is the plain mean"),
                       (steps, "a sum instead of a mean; use .mean()")):
        if abs(got_value - ratio * want_value) < 1e-4:
            fail(f"The value loss is {ratio} times the mean squared error: {why}.\n"
                 + LOSS_CONCEPT)
    expect_close(got_value, want_value, name="the value loss", atol=1e-5,
                 concept=LOSS_CONCEPT)
    to_log_probs = torch.autograd.grad(value_loss, log_probs, allow_unused=True)[0]
    expect(to_log_probs is None or not bool(to_log_probs.abs().gt(1e-8).any()),
           "The value loss sends gradient into the log-probs: it should depend on the values "
           "and the returns only.\n" + LOSS_CONCEPT)


# The contracts: each piece's promise, tried beyond the probes above: rollouts of one step
# and of many, float32 and float64, gamma at 0 and 1, episodes of every length, batches of
# one and of 64, returns in the hundreds, log-probs of very unlikely actions.

DONES = {
    "only the last step": lambda t, size: float(t == size - 1),
    "some": lambda t, size: float(t % 4 == 2 or t == size - 1),
    "every step": lambda t, size: 1.0,
}


def _returns_variant(rewards, dones, gamma, *, forwards=False, **options):
    """The reference, or (forwards=True) the sum taken from the start instead of the end."""
    if forwards:
        out, running = [0.0] * len(rewards), 0.0
        for t in range(len(rewards)):
            running = rewards[t] + gamma * (1.0 - dones[t]) * running
            out[t] = running
        return torch.tensor(out, dtype=torch.float64)
    return _reference_returns(rewards, dones, gamma, **options).double()


def _contract_returns(exercise):
    def inputs(draw):
        size = draw["T"]
        dones = torch.tensor([DONES[draw["dones"]](t, size) for t in range(size)],
                             dtype=draw["dtype"])
        return Args(draw.randn(size, scale=2.0), dones, draw["gamma"])

    def reference(rewards, dones, gamma):
        found = _reference_returns(rewards.tolist(), dones.tolist(), gamma, dtype=torch.float64)
        return found.to(rewards.dtype)

    check_contract(Contract(
        function="returns_to_go", call=exercise.returns_to_go, reference=reference,
        inputs=inputs,
        axes={"T": [1, 6, 200], "dtype": [torch.float32, torch.float64],
              "gamma": [0.99, 0.0, 1.0], "dones": list(DONES)},
        atol=1e-4, rtol=1e-5, diagnose=_diagnose_returns, concept=RETURNS_CONCEPT))


def _diagnose_returns(case, got, want):
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        return
    rewards, dones, gamma = (x.tolist() if isinstance(x, torch.Tensor) else x
                             for x in case.inputs.args)
    got, right = got.detach().double(), want.detach().double()
    where = f"With {case.label}: "
    for options, story in (
            ({"shifted": True}, "are cut one step early: they mask with 1 - dones[t + 1], "
             "CleanRL's habit. In this course dones[t] = 1 on the LAST step of an episode, so "
             "the mask is 1 - dones[t]"),
            ({"dones_ignored": True}, "run on across an episode's end: the next episode's "
             "rewards leak back. Start the sum again where dones[t] = 1"),
            ({"forwards": True}, "are summed forwards, from the first step. Returns-to-go, "
             "backwards: from the last step to the first")):
        wrong = _returns_variant(rewards, dones, gamma, **options)
        if not torch.allclose(wrong, right, atol=1e-4) and torch.allclose(got, wrong, atol=1e-4,
                                                                           rtol=1e-5):
            fail(where + f"the returns-to-go {story}.\n" + RETURNS_CONCEPT)


def _reference_losses(log_probs, values, returns):
    advantages = returns - values.detach()
    return -(log_probs * advantages).mean(), (values - returns).pow(2).mean()


def _contract_losses(exercise):
    def inputs(draw):
        size = draw["batch"]
        low = 1.0 if draw["log_probs"] == "moderate" else 60.0  # a very unlikely action
        log_probs = (-draw.rand(size) * low - 0.05).requires_grad_()
        return Args(log_probs, draw.randn(size, scale=3.0).requires_grad_(),
                    draw.randn(size, scale=draw["returns_scale"]))

    check_contract(Contract(
        function="reinforce_losses", call=exercise.reinforce_losses, reference=_reference_losses,
        inputs=inputs,
        axes={"batch": [1, 8, 64], "dtype": [torch.float32, torch.float64],
              "returns_scale": [1.0, 100.0], "log_probs": ["moderate", "very unlikely actions"]},
        atol=1e-5, rtol=1e-5, diagnose=_diagnose_losses(exercise), concept=LOSS_CONCEPT))


def _diagnose_losses(exercise):
    def diagnose(case, got, want):
        if not (isinstance(got, (tuple, list)) and len(got) == 2
                and all(isinstance(x, torch.Tensor) and x.numel() == 1 for x in got)):
            return
        log_probs, values, returns = (x.detach().double() for x in case.inputs.args)
        where = f"With {case.label}: "
        if case.gradient_problem:
            mine_lp = log_probs.clone().requires_grad_()
            mine_v = values.clone().requires_grad_()
            policy_loss, _ = exercise.reinforce_losses(mine_lp, mine_v, returns)
            if policy_loss.requires_grad:
                leak = torch.autograd.grad(policy_loss, mine_v, allow_unused=True)[0]
                if leak is not None and bool(leak.abs().gt(1e-8).any()):
                    fail(where + "the policy loss sends gradient into the baseline's values: "
                         "the advantage is not a constant. Use returns - values.detach().\n"
                         + LOSS_CONCEPT)
            return
        (got_policy, got_value), steps = (x.detach().double().item() for x in got), len(returns)
        want_policy, want_value = (x.item() for x in _reference_losses(log_probs, values,
                                                                       returns))
        centred = returns - values - (returns - values).mean()
        stories = [
            ("policy", -want_policy, "the policy loss has the wrong sign: the loss is MINUS "
             "log pi(a|s) * A"),
            ("policy", -(log_probs * returns).mean().item(), "the policy loss weights the "
             "log-probs by the raw returns: the baseline is missing"),
            ("policy", steps * want_policy, "the policy loss is a sum instead of a mean"),
            ("value", 0.5 * want_value, "the value loss is 0.5 times the mean squared error; "
             "here the value loss is the plain mean"),
            ("value", steps * want_value, "the value loss is a sum instead of a mean"),
        ]
        if steps > 1:
            stories.append(("policy", -(log_probs * centred / (centred.std() + 1e-8)).mean()
                            .item(), "the policy loss uses normalised advantages; weight the "
                            "log-probs by returns - values.detach() as they are"))
        for which, wrong, story in stories:
            value, right = {"policy": (got_policy, want_policy),
                            "value": (got_value, want_value)}[which]
            if abs(wrong - right) > 1e-6 * max(1.0, abs(right)) and \
                    abs(value - wrong) <= 1e-5 + 1e-5 * abs(wrong):
                fail(where + story + ".\n" + LOSS_CONCEPT)
    return diagnose


def test_returns_to_go(exercise):
    """returns_to_go discounts backwards and starts over at each episode's last step."""
    piece(exercise, _probe_returns)


def test_returns_to_go_contract(exercise):
    """returns_to_go keeps its promise for one step and 200, float32 and float64, gamma at 0
    and 1, episodes of every length."""
    piece(exercise, _contract_returns)


def test_losses(exercise):
    """The policy loss uses a detached baseline and a minus sign; the value loss is an MSE."""
    piece(exercise, _probe_losses)


def test_losses_contract(exercise):
    """reinforce_losses keeps its promise, gradients included, for a batch of one and of 64,
    float32 and float64, returns in the hundreds, log-probs of very unlikely actions."""
    piece(exercise, _contract_losses)


def _greedy(agent, obs):
    """The trained policy's most likely action: the replay shows what it learned, not its dice."""
    return int(agent.policy(obs).argmax())


def test_agent_learns_cartpole(exercise):
    """The agent reaches a 20-episode mean of 195 on CartPole-v1 on seeds 0, 1 and 2."""
    require_pieces(exercise, (_probe_returns, _contract_returns, _probe_losses,
                              _contract_losses))
    expect_learns(exercise.train, agent="REINFORCE", seeds=SEEDS, max_steps=BUDGET, bar=BAR,
                  greedy=_greedy)

"""Check: the PPO pieces, then a PPO agent that learns CartPole-v1 on three seeds.

The piece tests come first and run in milliseconds, so a wrong piece fails
with a precise message before any training. The training test asks each
piece again before it trains (a wrong piece would only burn the step budget).

Bar and budget, measured with bench/capstones.py on this 2-core machine: the
solution reached a 20-episode mean of 195 on all of seeds 0-11, within
6,300-11,700 steps (1.9-3.8 s of CPU each, under heavy load); the budget is
25,000 steps per seed, over twice the worst. The check trains seeds 0, 1, 2
and requires every one to reach the bar.
"""

import torch

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.gym import expect_learns, piece, require_pieces
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

SEEDS = (0, 1, 2)
BUDGET = 25_000
BAR = 195.0

GAE_CONCEPT = (
    "GAE, backwards: alive = 1 - dones[t]; delta = r[t] + gamma * V(next) * alive - V[t]; "
    "A[t] = delta + gamma * lam * alive * A[t+1]; V(next) is values[t+1], or last_value after "
    "the rollout's last step; returns = A + values. dones[t] = 1 marks the LAST step of an "
    "episode."
)
CLIP_CONCEPT = (
    "PPO: ratio = exp(new - old); loss = -mean(min(ratio * A, clamp(ratio, 1 - clip, 1 + clip) "
    "* A))."
)
MINIBATCH_CONCEPT = (
    "minibatches(size, minibatch): order = torch.randperm(size), a fresh one per call; return "
    "[order[start:start + minibatch] for start in range(0, size, minibatch)]."
)


def _reference_gae(rewards, values, dones, last_value, gamma, lam, *, mask_bootstrap=True,
                   reset=True, delta_discount=None, dtype=torch.float32):
    """GAE on Python floats; the keywords build the classic mistakes for the diagnosis."""
    advantages = [0.0] * len(rewards)
    running = 0.0
    discount = gamma if delta_discount is None else delta_discount
    for t in range(len(rewards) - 1, -1, -1):
        next_value = last_value if t == len(rewards) - 1 else values[t + 1]
        alive = 1.0 - dones[t]
        delta = rewards[t] + discount * next_value * (alive if mask_bootstrap else 1.0) - values[t]
        running = delta + gamma * lam * (alive if reset else 1.0) * running
        advantages[t] = running
    adv = torch.tensor(advantages, dtype=torch.float64)
    return adv.to(dtype), (adv + torch.tensor(values, dtype=torch.float64)).to(dtype)


def _gae_case(exercise, dones, what, gamma=0.9, lam=0.5):
    rewards = [1.0, 0.5, -1.0, 2.0, 0.0, 1.5]
    values = [0.3, -0.2, 0.8, 1.1, -0.5, 0.4]
    last_value = 2.0
    got = exercise.compute_gae(torch.tensor(rewards), torch.tensor(values), torch.tensor(dones),
                               torch.tensor(last_value), gamma, lam)
    expect(isinstance(got, tuple) and len(got) == 2,
           "compute_gae should return two tensors: (advantages, returns).")
    want_adv, want_ret = _reference_gae(rewards, values, dones, last_value, gamma, lam)
    concept = GAE_CONCEPT
    if dones != [0.0] * 6:
        concept += " At a done the bootstrap AND the running advantage both stop."
    expect_tensor(got[0], name=f"the advantages ({what})", shape=(6,), finite=True,
                  values=want_adv, atol=1e-5, concept=concept)
    expect_tensor(got[1], name=f"the value targets ({what})", shape=(6,), values=want_ret,
                  atol=1e-5, concept=concept + " The value targets are advantages + values.")


def _probe_gae(exercise):
    _gae_case(exercise, [0.0] * 6, "no episode ends, gamma 0.9 and lam 0.5: swapping them shows")
    _gae_case(exercise, [0.0, 1.0, 0.0, 0.0, 1.0, 0.0], "episodes end after steps 1 and 4")
    _gae_case(exercise, [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], "the rollout's last step ends an episode")


def _expect_ratio(exercise, loss):
    """Blame the ratio, not the min, when it is not exp(new - old) or the loss is NaN."""
    ratio_story = ("ratio = exp(new_log_probs - old_log_probs): log-probs subtract where "
                   "probabilities divide (new_log_probs / old_log_probs is not a ratio of "
                   "probabilities, and it blows up where old_log_prob is 0).")
    expect(bool(torch.isfinite(loss.detach()).all()),
           f"The clipped policy loss is {loss.item()} for finite log-probs: look at the ratio. "
           + ratio_story + "\n" + CLIP_CONCEPT)
    # Ratios near 1 with every advantage 1: no clip bites and min and max agree, so the
    # loss is -mean(ratio) and only the ratio can make it differ.
    old = torch.tensor([-1.0, -0.5, -2.0, -0.7])
    new = old + torch.tensor([0.1, -0.1, 0.05, -0.15])
    got = exercise.clipped_policy_loss(new, old, torch.ones(4), 0.2)
    want = -(new - old).exp().mean().item()
    got = got.item() if isinstance(got, torch.Tensor) and got.numel() == 1 else got
    if isinstance(got, float) and abs(got - 4 * want) < 1e-5:
        fail(f"With 4 ratios close to 1 (no clipping) and every advantage 1 the loss should be "
             f"-mean(ratio) = {want:.5f}, but it is {got:.5f}, 4 times that: a sum over the "
             "batch instead of a mean. A sum makes the step size grow with the rollout; use "
             ".mean().\n" + CLIP_CONCEPT)
    expect(isinstance(got, float) and abs(got - want) < 1e-5,
           f"With ratios close to 1 (no clipping) and every advantage 1 the loss should be "
           f"-mean(ratio) = {want:.5f}, but it is {got}: the ratio is not computed right. "
           + ratio_story + "\n" + CLIP_CONCEPT)


def _probe_clip(exercise):
    new = torch.tensor([0.0, 0.5, -0.5, 0.5, -0.5, 0.1], requires_grad=True)
    old = torch.zeros(6)
    adv = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -2.0])
    loss = exercise.clipped_policy_loss(new, old, adv, 0.2)
    ratio = new.detach().exp()
    want = -torch.min(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean()
    expect_tensor(loss, name="the clipped policy loss", shape=(), grad_fn=True,
                  concept="The loss is one number, and it must carry grad back to the new "
                  "log-probs. " + CLIP_CONCEPT)
    if abs(loss.item() + want.item()) < 1e-5 and abs(want.item()) > 1e-3:
        fail("The clipped policy loss has the right size but the wrong sign: PPO maximises the "
             "surrogate, so the loss to minimise is MINUS it.\n" + CLIP_CONCEPT)
    _expect_ratio(exercise, loss)
    expect_close(loss.item(), want.item(), name="the clipped policy loss on ratios inside and "
                 "outside [0.8, 1.2], positive and negative advantages", atol=1e-5,
                 concept="Take the MIN of the unclipped and clipped surrogate: the pessimistic "
                 "one. " + CLIP_CONCEPT)
    reference = new.detach().clone().requires_grad_()
    (-torch.min(reference.exp() * adv, reference.exp().clamp(0.8, 1.2) * adv).mean()).backward()
    loss.backward()
    expect_tensor(new.grad, name="the gradient of the loss with respect to the new log-probs",
                  values=reference.grad, atol=1e-5,
                  concept="Where the clip is active the gradient is zero; elsewhere it flows "
                  "through the ratio in both surrogates (no .detach() on the clipped one, which "
                  "would halve it where the two tie). " + CLIP_CONCEPT)


def _probe_minibatches(exercise):
    torch.manual_seed(0)
    first = exercise.minibatches(10, 4)
    second = exercise.minibatches(10, 4)
    for label, batches in (("first", first), ("second", second)):
        expect(isinstance(batches, (list, tuple)) and all(isinstance(b, torch.Tensor)
                                                          for b in batches),
               "minibatches should return a list of index tensors, one per minibatch.")
        sizes = [len(b) for b in batches]
        expect(sizes[:-1] == [4] * (len(sizes) - 1) and 0 < sizes[-1] <= 4,
               f"minibatches(10, 4) gave minibatches of sizes {sizes}; expected slices of 4 "
               "(the last one shorter): [4, 4, 2].")
        flat = torch.cat(list(batches)).tolist()
        if len(set(flat)) == len(flat) and set(flat) < set(range(10)):
            fail(f"The {label} epoch's minibatches hold the indices {flat}: no repeats, but "
                 f"only {len(flat)} of the 10: a slice was dropped, most likely the last, shorter one "
                 "(a range that stops at size - minibatch + 1). Keep it, so every step of the rollout "
                 "is used once per epoch: range(0, size, minibatch).")
        expect(sorted(flat) == list(range(10)),
               f"The {label} epoch's minibatches hold the indices {flat}: every step of the "
               "rollout must appear exactly once per epoch. Sampling with replacement "
               "(randint) repeats some steps and skips others; use torch.randperm.")
    orders = [torch.cat(list(b)).tolist() for b in (first, second)]
    expect(orders[0] != list(range(10)) or orders[1] != list(range(10)),
           "The minibatches come in the rollout's own order 0, 1, 2, ...: shuffle with "
           "torch.randperm(size). Consecutive steps are strongly correlated; PPO learns from "
           "a random mix.")
    expect(orders[0] != orders[1],
           "Two epochs got the same order: draw a fresh permutation on every call.")


# The contracts: each piece's promise, tried beyond the probes above. The probes name the
# classic mistakes on small examples; the contracts try what the docstrings allow and the
# examples do not show, and the diagnoses below name a known mistake when a case shows one.

DONES = {
    "none": lambda t, size: 0.0,
    "some": lambda t, size: float(t % 3 == 1),
    "the last step": lambda t, size: float(t == size - 1),
    "every step": lambda t, size: 1.0,
}


def _contract_gae(exercise):
    def inputs(draw):
        size, dtype = draw["T"], draw["dtype"]
        gamma, lam = draw["gamma_lam"]
        dones = torch.tensor([DONES[draw["dones"]](t, size) for t in range(size)], dtype=dtype)
        return Args(draw.randn(size), draw.randn(size, scale=2.0), dones,
                    draw.randn(1, scale=2.0).squeeze(0), gamma, lam)

    def reference(rewards, values, dones, last_value, gamma, lam):
        return _reference_gae(rewards.tolist(), values.tolist(), dones.tolist(),
                              last_value.item(), gamma, lam, dtype=rewards.dtype)

    check_contract(Contract(
        function="compute_gae", call=exercise.compute_gae, reference=reference, inputs=inputs,
        axes={"T": [1, 6, 64], "dtype": [torch.float32, torch.float64],
              "gamma_lam": [(0.99, 0.95), (1.0, 1.0), (0.0, 0.9), (0.9, 0.0)],
              "dones": list(DONES)},
        atol=1e-4, rtol=1e-5, diagnose=_diagnose_gae, concept=GAE_CONCEPT))


GAE_MISTAKES = (
    ({"mask_bootstrap": False}, "V(next) is bootstrapped through an episode's last step: "
     "delta must use gamma * V(next) * (1 - dones[t]). At a done the bootstrap AND the running "
     "advantage both stop."),
    ({"reset": False}, "the running advantage is carried across an episode's last step: "
     "multiply it by (1 - dones[t]) too. At a done the bootstrap AND the running advantage "
     "both stop."),
    ({"mask_bootstrap": False, "reset": False}, "nothing stops at an episode's last step. At a "
     "done the bootstrap AND the running advantage both stop."),
)


def _diagnose_gae(case, got, want):
    """Name the classic GAE mistake that the case's advantages match."""
    if not (isinstance(got, (tuple, list)) and len(got) == 2
            and all(isinstance(x, torch.Tensor) for x in got)) or case.gradient_problem:
        return
    rewards, values, dones, last_value, gamma, lam = case.inputs.args
    plain = (rewards.tolist(), values.tolist(), dones.tolist(), last_value.item(), gamma, lam)
    adv, ret = (x.detach().double() for x in got)

    def matches(tensor, candidate):
        return tensor.shape == candidate.shape and torch.allclose(tensor, candidate.double(),
                                                                  atol=1e-4, rtol=1e-5)
    where = f"With {case.label}: "
    right_adv, _ = _reference_gae(*plain, dtype=torch.float64)
    for options, story in GAE_MISTAKES:
        wrong, _ = _reference_gae(*plain, dtype=torch.float64, **options)
        if not matches(right_adv, wrong) and matches(adv, wrong):
            fail(where + "the advantages are wrong: " + story + "\n" + GAE_CONCEPT)
    swapped, _ = _reference_gae(*plain, delta_discount=lam, dtype=torch.float64)
    # Only where lam is neither 0 nor gamma: there the swap would look like other mistakes.
    if lam not in (0.0, gamma) and not matches(right_adv, swapped) and matches(adv, swapped):
        fail(where + "the TD error discounts V(next) by lam: gamma discounts inside delta = "
             "r + gamma * V(next) * alive - V; lam only weighs the sum of the deltas (swapping "
             "them shows once they differ).\n" + GAE_CONCEPT)
    if matches(adv, right_adv) and not matches(ret, right_adv + values.double()):
        fail(where + "the advantages are right but the value targets are not: they are "
             "advantages + values.\n" + GAE_CONCEPT)


def _reference_clip(new_log_probs, old_log_probs, advantages, clip):
    ratio = torch.exp(new_log_probs - old_log_probs)
    return -torch.min(ratio * advantages, ratio.clamp(1 - clip, 1 + clip) * advantages).mean()


def _contract_clip(exercise):
    def inputs(draw):
        size = draw["batch"]
        # Log-probs of unlikely actions go far below exp's range (exp(-120) is 0 in float32,
        # exp(-800) in float64): the ratio must come from the difference of the log-probs.
        low = -120.0 if draw["dtype"] == torch.float32 else -800.0
        old = draw.randn(size, scale=0.5) + (low if draw["log_probs"] == "far below exp's range"
                                             else -1.0)
        new = (old + draw.randn(size, scale=draw["spread"])).requires_grad_()
        return Args(new, old, draw.randn(size, scale=draw["adv_scale"]), draw["clip"])

    check_contract(Contract(
        function="clipped_policy_loss", call=exercise.clipped_policy_loss,
        reference=_reference_clip, inputs=inputs,
        axes={"batch": [1, 9, 64], "dtype": [torch.float32, torch.float64],
              "log_probs": ["moderate", "far below exp's range"],
              "spread": [0.05, 1.5],  # ratios near 1, and far outside [1 - clip, 1 + clip]
              "adv_scale": [1.0, 100.0], "clip": [0.2, 0.1]},
        atol=1e-5, rtol=1e-5, diagnose=_diagnose_clip, concept=CLIP_CONCEPT))


def _diagnose_clip(case, got, want):
    """Name the classic clipped-loss mistake that the case's loss matches."""
    if not isinstance(got, torch.Tensor) or got.numel() != 1 or case.gradient_problem:
        return
    new, old, adv, clip = (x.detach().double() if isinstance(x, torch.Tensor) else x
                           for x in case.inputs.args)
    value, right = got.detach().double().item(), _reference_clip(new, old, adv, clip).item()
    where = f"With {case.label}: "
    if value != value or abs(value) == float("inf"):
        fail(where + f"the clipped policy loss is {value} for finite log-probs: look at the "
             "ratio. exp(new) / exp(old) is 0 / 0 once the log-probs are far below exp's "
             "range; ratio = exp(new_log_probs - old_log_probs) stays finite.\n" + CLIP_CONCEPT)
    ratio = (new - old).exp()
    unclipped, clipped = ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv
    inverted = (old - new).exp()
    stories = (
        (-right, "the wrong sign: PPO maximises the surrogate, so the loss to minimise is "
                 "MINUS it"),
        (-torch.max(unclipped, clipped).mean().item(), "the optimistic MAX of the two "
                                                       "surrogates. Take the MIN"),
        (-clipped.mean().item(), "the clipped surrogate alone. Take the MIN of the unclipped "
                                 "and clipped surrogate"),
        (-unclipped.mean().item(), "the unclipped surrogate alone: the clip never bites. Take "
                                   "the MIN of the unclipped and clipped surrogate"),
        (-torch.min(inverted * adv, inverted.clamp(1 - clip, 1 + clip) * adv).mean().item(),
         "built on exp(old - new): the ratio is not computed right, it is exp(new - old)"),
        (-torch.min(unclipped, clipped).sum().item(), "a sum over the batch: take the mean"),
    )
    for wrong, story in stories:
        if abs(wrong - right) > 1e-6 * max(1.0, abs(right)) and \
                abs(value - wrong) <= 1e-5 + 1e-5 * abs(wrong):
            fail(where + f"the clipped policy loss is {value:.6g}, expected {right:.6g}: it is "
                 f"{story}.\n" + CLIP_CONCEPT)


def _minibatch_facts(minibatches):
    """Two epochs' minibatches under a seed of the case, reduced to what the docstring promises:
    a random order may be drawn any way, so the orders themselves are not compared."""
    def facts(size, minibatch, seed):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            epochs = [minibatches(size, minibatch) for _ in range(2)]
        listed = all(isinstance(batches, (list, tuple)) and all(
            isinstance(b, torch.Tensor) and b.dim() == 1 and not b.is_floating_point()
            and b.dtype != torch.bool for b in batches) for batches in epochs)
        if not listed:
            return {"a list of 1-D index tensors": False, "sizes": [], "each step once": False,
                    "shuffled": False, "a fresh order each call": False}
        orders = [[i for b in batches for i in b.tolist()] for batches in epochs]
        many = size >= 10  # a random order of fewer steps may come out sorted by chance
        return {
            "a list of 1-D index tensors": True,
            "sizes": [len(b) for b in epochs[0]],
            "each step once": all(sorted(order) == list(range(size)) for order in orders),
            "shuffled": not many or orders[0] != list(range(size)),
            "a fresh order each call": not many or orders[0] != orders[1],
        }
    return facts


def _reference_minibatches(size, minibatch):
    order = torch.randperm(size)
    return [order[start:start + minibatch] for start in range(0, size, minibatch)]


def _contract_minibatches(exercise):
    check_contract(Contract(
        function="minibatches", call=_minibatch_facts(exercise.minibatches),
        reference=_minibatch_facts(_reference_minibatches),
        inputs=lambda draw: Args(draw["size"], draw["minibatch"], draw.seed()),
        axes={"size": [1, 10, 64, 256], "minibatch": [1, 4, 64, 300]},
        diagnose=_diagnose_minibatches, concept=MINIBATCH_CONCEPT))


def _diagnose_minibatches(case, got, want):
    size, minibatch, _ = case.inputs.args
    where = f"With minibatches({size}, {minibatch}): "
    if not got.get("a list of 1-D index tensors", False):
        fail(where + "minibatches should return a list of 1-D integer index tensors, one per "
             "minibatch.\n" + MINIBATCH_CONCEPT)
    if got["sizes"] != want["sizes"]:
        fail(where + f"the minibatches have sizes {got['sizes']}; expected {want['sizes']}: "
             "slices of MINIBATCH, the last one shorter when size is not a multiple, and all "
             "of size in one slice when MINIBATCH is larger: range(0, size, minibatch).\n"
             + MINIBATCH_CONCEPT)
    if not got["each step once"]:
        fail(where + "some step is missing or repeated: every step of the rollout must appear "
             "exactly once per epoch. Sampling with replacement (randint) repeats some steps "
             "and skips others; use torch.randperm.\n" + MINIBATCH_CONCEPT)
    if not got["shuffled"]:
        fail(where + "the minibatches come in the rollout's own order 0, 1, 2, ...: shuffle "
             "with torch.randperm(size).\n" + MINIBATCH_CONCEPT)
    if not got["a fresh order each call"]:
        fail(where + "two epochs got the same order: draw a fresh permutation on every call.\n"
             + MINIBATCH_CONCEPT)


def test_gae(exercise):
    """compute_gae matches the backward recursion, stopping at every episode's last step."""
    piece(exercise, _probe_gae)


def test_gae_contract(exercise):
    """compute_gae keeps its promise for a rollout of one step and of many, float32 and
    float64, gamma and lam at 0 and 1, episodes ending anywhere (the last step too)."""
    piece(exercise, _contract_gae)


def test_clipped_policy_loss(exercise):
    """clipped_policy_loss is minus the mean of the pessimistic (min) clipped surrogate."""
    piece(exercise, _probe_clip)


def test_clipped_policy_loss_contract(exercise):
    """clipped_policy_loss keeps its promise, gradient included, for a batch of one and more,
    float32 and float64, ratios near 1 and far outside the clip, log-probs far below exp's
    range."""
    piece(exercise, _contract_clip)


def test_minibatches(exercise):
    """minibatches shuffles afresh each epoch and uses every step exactly once."""
    piece(exercise, _probe_minibatches)


def test_minibatches_contract(exercise):
    """minibatches keeps its promise for rollouts of one step to 256, minibatches of one to
    more than the rollout."""
    piece(exercise, _contract_minibatches)


def _greedy(agent, obs):
    """The trained policy's most likely action: the replay shows what it learned, not its dice."""
    return int(agent.actor(obs).argmax())


def test_agent_learns_cartpole(exercise):
    """The agent reaches a 20-episode mean of 195 on CartPole-v1 on seeds 0, 1 and 2."""
    require_pieces(exercise, (_probe_gae, _contract_gae, _probe_clip, _contract_clip,
                              _probe_minibatches, _contract_minibatches))
    expect_learns(exercise.train, agent="PPO", seeds=SEEDS, max_steps=BUDGET, bar=BAR,
                  given="ppo_update and train (given)",
                  greedy=_greedy)

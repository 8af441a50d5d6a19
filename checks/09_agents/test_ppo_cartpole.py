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
from torchlings.checkapi.testkit.gym import expect_learns, require_pieces

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


def _reference_gae(rewards, values, dones, last_value, gamma, lam):
    advantages = [0.0] * len(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        next_value = last_value if t == len(rewards) - 1 else values[t + 1]
        alive = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * alive - values[t]
        running = delta + gamma * lam * alive * running
        advantages[t] = running
    adv = torch.tensor(advantages)
    return adv, adv + torch.tensor(values)


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
                  concept="Where the clip is active the gradient is zero. " + CLIP_CONCEPT)


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


def test_gae(exercise):
    """compute_gae matches the backward recursion, stopping at every episode's last step."""
    _probe_gae(exercise)


def test_clipped_policy_loss(exercise):
    """clipped_policy_loss is minus the mean of the pessimistic (min) clipped surrogate."""
    _probe_clip(exercise)


def test_minibatches(exercise):
    """minibatches shuffles afresh each epoch and uses every step exactly once."""
    _probe_minibatches(exercise)


def _greedy(agent, obs):
    """The trained policy's most likely action: the replay shows what it learned, not its dice."""
    return int(agent.actor(obs).argmax())


def test_agent_learns_cartpole(exercise):
    """The agent reaches a 20-episode mean of 195 on CartPole-v1 on seeds 0, 1 and 2."""
    require_pieces(exercise, (_probe_gae, _probe_clip, _probe_minibatches))
    expect_learns(exercise.train, agent="PPO", seeds=SEEDS, max_steps=BUDGET, bar=BAR,
                  given="ppo_update and train (given)",
                  greedy=_greedy)

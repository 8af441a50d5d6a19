"""Check: GAE(lambda) over a (T, N) rollout; terminated vs truncated; no grad."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "GAE: next_v = 0 where terminated, final_values[t] where truncated, else values[t + 1] "
    "(last_values after the last step); delta_t = r_t + gamma * next_v - V_t; "
    "A_t = delta_t + gamma * lam * (1 - ended_t) * A_{t+1}; returns = A + V. "
    "Flags mark the LAST step of an episode (CleanRL's dones mark the first of the next)."
)
NEXT_V = "Look at how next_values is chosen in gae()."
SUM = "Look at the line in the loop that carries the running sum."
JUNK = 7.0  # what final_values holds where no episode ended: it must never be read


def _carry(reset, term, trunc, t, n):
    """The factor on the carried A_{t+1}: 1 - ended_t when right, else a classic mistake."""
    if reset is True:  # right: cut at every end of episode
        return 0.0 if term[t][n] or trunc[t][n] else 1.0
    if reset is False:  # cut at terminations only
        return 0.0 if term[t][n] else 1.0
    if reset == "next":  # CleanRL's 1 - dones[t + 1], on flags that mark the LAST step
        ahead = t + 1 < len(term) and (term[t + 1][n] or trunc[t + 1][n])
        return 0.0 if ahead else 1.0
    if reset == "sum":  # ended = terminated + truncated: 2 where both are set
        return 1.0 - term[t][n] - trunc[t][n]
    return 1.0  # reset None: never cut


def _reference(rewards, values, term, trunc, final, last, gamma, lam, *, on_term="zero",
               on_trunc="final", reset=True):
    """GAE one env at a time in float64; the keywords build the classic mistakes."""
    rewards, values, final = rewards.double().tolist(), values.double().tolist(), final.tolist()
    term, trunc, last = term.tolist(), trunc.tolist(), last.double().tolist()
    steps, envs = len(rewards), len(last)
    out = [[0.0] * envs for _ in range(steps)]
    for n in range(envs):
        running = 0.0
        for t in reversed(range(steps)):
            following = last[n] if t == steps - 1 else values[t + 1][n]
            if term[t][n]:
                next_v = {"zero": 0.0, "final": final[t][n], "next": following}[on_term]
            elif trunc[t][n]:
                next_v = {"zero": 0.0, "final": final[t][n], "next": following}[on_trunc]
            else:
                next_v = following
            running *= _carry(reset, term, trunc, t, n)
            running = rewards[t][n] + gamma * next_v - values[t][n] + gamma * lam * running
            out[t][n] = running
    return torch.tensor(out, dtype=torch.float64)


MISTAKES = [
    ({"on_term": "final"}, "A terminated step bootstrapped from final_values: a true "
     "termination has nothing after it, so its next value is 0 (no bootstrap).\n" + NEXT_V),
    ({"on_term": "next"}, "A terminated step bootstrapped from values[t + 1], the first value "
     "of the NEXT episode: bootstrapping through a termination. Use 0 there.\n" + NEXT_V),
    ({"on_trunc": "zero"}, "A truncated step was treated like a termination (next value 0). "
     "A time limit is not a real end: bootstrap from final_values[t], the value of the true "
     "final observation (plain CleanRL makes this simplification; this exercise does not).\n"
     + NEXT_V),
    ({"on_trunc": "next"}, "A truncated step bootstrapped from values[t + 1], which after the "
     "auto-reset is the value of the NEXT episode's first observation. Use final_values[t].\n"
     + NEXT_V),
    ({"reset": False}, "The running sum A was not reset at a truncation: the next episode's "
     "advantages leaked back. A time limit ends the episode too: multiply the carried A_{t+1} by "
     "(1 - ended_t), ended = terminated or truncated.\n" + SUM),
    ({"reset": None}, "The running sum A was not reset at episode ends: the next episode's "
     "advantages leaked back. Multiply the carried A_{t+1} by (1 - ended_t).\n" + SUM),
    ({"reset": "next"}, "The running sum was cut with the flags of step t + 1, CleanRL's "
     "nextnonterminal = 1 - dones[t + 1]. CleanRL's dones flag the FIRST step of the next "
     "episode; here terminated[t] / truncated[t] flag the LAST step of this one, so the carried "
     "A_{t+1} is cut by (1 - ended[t]), the same step's flags.\n" + SUM),
    ({"reset": "sum"}, "On a step that is both terminated and truncated the carried A_{t+1} "
     "was multiplied by -1: ended = terminated + truncated is 2 there, so 1 - ended is -1. "
     "Combine the flags with torch.maximum(terminated, truncated) (or a logical or), which "
     "stays 0 or 1.\n" + SUM),
]


def _rollout(seed, steps, envs, *, p_term=0.0, p_trunc=0.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(steps, envs, generator=g).to(dtype)
    values = torch.randn(steps, envs, generator=g).to(dtype)
    term = (torch.rand(steps, envs, generator=g) < p_term).to(dtype)
    trunc = (torch.rand(steps, envs, generator=g) < p_trunc).to(dtype)
    ended = torch.maximum(term, trunc)
    final = torch.where(ended.bool(), torch.randn(steps, envs, generator=g), JUNK).to(dtype)
    last = torch.randn(envs, generator=g).to(dtype)
    return rewards, values, term, trunc, final, last


def _run(exercise, rollout, gamma, lam, what, *, atol=1e-5):
    """Call gae, check its outputs, and name the classic mistake when one matches."""
    before = [x.clone() for x in rollout]
    out = exercise.gae(*rollout, gamma=gamma, lam=lam)
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"gae should return a tuple (advantages, returns), but it returned "
           f"{type(out).__name__}.")
    advantages, returns = out
    shape, dtype = tuple(rollout[0].shape), rollout[0].dtype
    for tensor, name in ((advantages, "the advantages"), (returns, "the returns")):
        expect_tensor(tensor, name=f"{name} ({what})", shape=shape, dtype=dtype,
                      concept="GAE keeps the rollout's (T, N) layout and its dtype: build the "
                      "result with torch.zeros_like(rewards).")
    for x, y, name in zip(rollout, before, ("rewards", "values", "terminated", "truncated",
                                            "final_values", "last_values"), strict=True):
        expect(torch.equal(x, y), f"gae changed its input `{name}` in place. The rollout is "
               "still needed after GAE: write the results into new tensors.")
    want = _reference(*rollout, gamma, lam)
    if not torch.allclose(advantages.detach().double(), want, atol=atol, rtol=1e-5):
        for options, story in MISTAKES:
            wrong = _reference(*rollout, gamma, lam, **options)
            if not torch.allclose(wrong, want) and torch.allclose(
                    advantages.detach().double(), wrong, atol=atol, rtol=1e-5):
                fail(f"The advantages ({what}) are wrong. {story}\n{CONCEPT}")
        if lam != gamma:
            swapped = _reference(*rollout, lam, gamma)
            if torch.allclose(advantages.detach().double(), swapped, atol=atol, rtol=1e-5):
                fail(f"The advantages ({what}) come out as if gamma and lam were swapped. "
                     "gamma discounts inside delta_t = r + gamma * V(s') - V(s) and in the "
                     "sum; lam only weighs the sum: A_t = delta_t + gamma * lam * A_{t+1}.\n"
                     + CONCEPT)
    expect_tensor(advantages, name=f"the advantages ({what})", values=want, atol=atol,
                  concept=CONCEPT)
    expect_tensor(returns, name=f"the returns ({what})", values=want + rollout[1].double(),
                  atol=atol, concept="returns = advantages + values: the critic's target.")
    return advantages, returns


def test_result_is_a_pair_of_rollout_tensors(exercise):
    """gae returns (advantages, returns), each (T, N) like the rewards."""
    rollout = _rollout(0, 6, 3)
    out = exercise.gae(*rollout, gamma=0.9, lam=0.8)
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"gae should return a tuple (advantages, returns), but it returned "
           f"{type(out).__name__}.")
    for tensor, name in zip(out, ("the advantages", "the returns"), strict=True):
        expect_tensor(tensor, name=name, shape=(6, 3), dtype=torch.float32,
                      concept="Time-major rollouts are (T, N): keep that layout.")


def test_one_step_td_error(exercise):
    """lam = 0, no episode ends: A_t is the TD error; the last step uses last_values."""
    _run(exercise, _rollout(1, 5, 4), 0.9, 0.0, "lam = 0, no episode ends")


def test_lambda_sums_the_td_errors(exercise):
    """lam between 0 and 1, no episode ends: the TD errors summed with gamma * lam."""
    _run(exercise, _rollout(2, 8, 3), 0.9, 0.5, "gamma = 0.9, lam = 0.5, no episode ends")


def test_termination_does_not_bootstrap(exercise):
    """A terminated step's next value is 0, not final_values nor the next episode's."""
    rollout = _rollout(3, 6, 2)
    rollout[2][2, 0] = 1.0  # env 0 terminates at step 2; steps 3.. are a new episode
    rollout[2][4, 1] = 1.0
    rollout[4][2, 0], rollout[4][4, 1] = 5.0, -4.0  # the critic's guess at the final obs
    _run(exercise, rollout, 0.9, 0.0, "lam = 0, terminations at steps 2 and 4")


def test_truncation_bootstraps_from_the_final_value(exercise):
    """A truncated step bootstraps from final_values[t], not from values[t + 1] nor 0."""
    rollout = _rollout(4, 6, 2)
    rollout[3][1, 0] = 1.0  # env 0 hits the time limit at step 1
    rollout[3][3, 1] = 1.0
    rollout[4][1, 0], rollout[4][3, 1] = 5.0, -4.0
    _run(exercise, rollout, 0.9, 0.0, "lam = 0, truncations at steps 1 and 3")


def test_last_step_ends(exercise):
    """When the last step ends an episode, last_values (a new episode's) is not used."""
    rollout = _rollout(5, 4, 3)
    rollout[2][-1, 0] = 1.0  # env 0 terminates on the last step
    rollout[3][-1, 1] = 1.0  # env 1 is truncated on the last step
    rollout[4][-1, 1] = 2.5
    rollout[5][:] = 100.0  # V(next obs) for env 0 and 1 belongs to the next episode
    _run(exercise, rollout, 0.9, 0.0, ("lam = 0, envs 0 and 1 end on the last "
         "step, so last_values, a new episode's, must not be used there"))


def test_running_sum_resets_at_episode_ends(exercise):
    """With lam > 0 the sum restarts at every episode end, both kinds."""
    rollout = _rollout(6, 8, 2)
    rollout[2][3, 0] = 1.0
    rollout[3][2, 1] = 1.0
    rollout[4][3, 0], rollout[4][2, 1] = 1.5, -2.0
    _run(exercise, rollout, 0.9, 0.9, "gamma = lam = 0.9, episodes end at steps 3 and 2")


def test_both_flags_on_one_step(exercise):
    """terminated and truncated on the same step: termination wins, no bootstrap."""
    rollout = _rollout(7, 5, 2)
    rollout[2][1, 0] = rollout[3][1, 0] = 1.0
    rollout[4][1, 0] = 3.0
    _run(exercise, rollout, 0.9, 0.7, "env 0 both terminated and truncated at step 1")


def test_random_rollouts(exercise):
    """Long rollouts with many ends (up to T = 400); one env; float64; gamma and lam at 0
    and 1."""
    cases = [
        (_rollout(8, 64, 8, p_term=0.05, p_trunc=0.05), 0.99, 0.95, "T = 64, N = 8"),
        # As long as real PPO rollouts (CleanRL: 128 to 2048 steps): a closed form through
        # powers of gamma * lam breaks there (0.72^t underflows float32 past t = 300).
        (_rollout(16, 400, 1, p_term=0.01, p_trunc=0.01), 0.9, 0.8, "T = 400, one env"),
        (_rollout(9, 16, 1, p_term=0.1, p_trunc=0.1), 0.9, 0.9, "a single env, N = 1"),
        (_rollout(10, 1, 3, p_term=0.3, p_trunc=0.3), 0.9, 0.9, "one step, T = 1"),
        (_rollout(11, 32, 4, p_term=0.05, p_trunc=0.05, dtype=torch.float64), 0.97, 0.9,
         "float64"),
        (_rollout(12, 40, 3, p_term=0.05, p_trunc=0.05), 1.0, 1.0, "gamma = lam = 1"),
        (_rollout(13, 10, 3, p_term=0.2, p_trunc=0.2), 0.0, 0.95, "gamma = 0"),
    ]
    for rollout, gamma, lam, what in cases:
        _run(exercise, rollout, gamma, lam, what, atol=1e-4)


def test_no_gradient_flows(exercise):
    """Values attached to the critic: GAE's outputs carry no graph, twice in a row."""
    rollout = list(_rollout(14, 6, 3, p_term=0.2, p_trunc=0.2))
    critic_out = torch.randn(6, 3, generator=torch.Generator().manual_seed(15),
                             requires_grad=True)
    rollout[1] = critic_out * 1.0  # values straight from the critic, graph attached
    rollout[5] = critic_out[0] * 2.0
    for call in ("first", "second"):
        advantages, returns = exercise.gae(*rollout, gamma=0.9, lam=0.9)
        for tensor, name in ((advantages, "the advantages"), (returns, "the returns")):
            expect_tensor(tensor, name=f"{name} ({call} call, values attached to the critic)",
                          requires_grad=False,
                          concept="GAE builds targets: compute it under torch.no_grad() (or "
                          "from values.detach()), so no gradient flows back into the critic "
                          "through its own target.")
    expect(critic_out.grad is None, "gae put gradients into the critic's output: do not call "
           "backward in gae.")


def test_contract(exercise):
    """The promise for any T and N (one step, one env), float32 and float64, gamma and lam
    at 0 and 1, ends of both kinds, values attached to the critic or not."""
    def inputs(draw):
        rollout = list(_rollout(draw.seed(), draw["T"], draw["N"], p_term=0.2, p_trunc=0.2,
                                dtype=draw["dtype"]))
        if draw["values"] == "attached":
            rollout[1] = rollout[1].requires_grad_() * 1.0
        gamma, lam = draw["gamma_lam"]
        return Args(*rollout, gamma=gamma, lam=lam)

    def reference(rewards, values, term, trunc, final, last, *, gamma, lam):
        advantages = _reference(rewards, values, term, trunc, final, last, gamma, lam)
        returns = advantages + values.detach().double()
        return advantages.to(rewards.dtype), returns.to(rewards.dtype)

    check_contract(Contract(
        function="gae", call=exercise.gae, reference=reference, inputs=inputs,
        axes={"T": [1, 9], "N": [1, 3], "dtype": [torch.float32, torch.float64],
              "gamma_lam": [(0.99, 0.95), (1.0, 1.0), (0.0, 0.9)],
              "values": ["plain", "attached"]},
        budget=10, atol=1e-4, rtol=1e-5, concept=CONCEPT))

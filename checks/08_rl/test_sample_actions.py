"""Check: sampling actions from logits (softmax + multinomial) and their log-probs."""

import torch
from torch.distributions import Categorical

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import EXTREME_LOGIT, Args, Contract, check_contract
from torchlings.checkapi.testkit.rl import expect_frequency

CONCEPT_SAMPLE = (
    "softmax turns each row of logits into probabilities; torch.multinomial(probs, 1, "
    "generator=generator) draws one index per row as a (B, 1) tensor; squeeze(-1) makes "
    "it the (B,) tensor of actions."
)
CONCEPT_LOGP = (
    "log pi(a|s) for each row: log_softmax(logits, dim=-1), then gather(-1, "
    "actions.unsqueeze(-1)) and squeeze(-1) back to (B,). It must equal "
    "Categorical(logits=logits).log_prob(actions)."
)


def test_sample_shape_and_dtype(exercise):
    """Sampled actions are a (B,) int64 tensor of valid action indices."""
    logits = torch.randn(16, 5, generator=torch.Generator().manual_seed(0))
    actions = exercise.sample_actions(logits, torch.Generator().manual_seed(1))
    expect_tensor(actions, name="the tensor of sampled actions", shape=(16,), dtype=torch.int64,
                  concept=CONCEPT_SAMPLE)
    expect(bool(((actions >= 0) & (actions < 5)).all()),
           f"the sampled actions should lie in 0 .. 4, got {actions.tolist()}.\n"
           + CONCEPT_SAMPLE)


def test_sample_frequencies(exercise):
    """Actions come up as often as softmax(logits) says, not always the argmax."""
    row = torch.tensor([1.0, 0.0, -1.0, 2.0])
    trials = 6000
    logits = row.expand(trials, 4)  # one draw per row, all rows the same
    actions = exercise.sample_actions(logits, torch.Generator().manual_seed(2))
    expect_tensor(actions, name="the tensor of sampled actions", shape=(trials,),
                  concept=CONCEPT_SAMPLE)
    probs = torch.softmax(row, dim=-1).tolist()
    for action, p in enumerate(probs):
        expect_frequency(int((actions == action).sum()), trials, p,
                         name=f"action {action} (logit {row[action].item():g})",
                         concept="Sampling means drawing from softmax(logits), not taking the "
                         "argmax and not treating the raw logits as probabilities. "
                         + CONCEPT_SAMPLE)


def test_sample_uses_the_generator(exercise):
    """The same seed gives the same actions: the rollout can be repeated."""
    logits = torch.zeros(50, 6)
    first = exercise.sample_actions(logits, torch.Generator().manual_seed(9))
    second = exercise.sample_actions(logits, torch.Generator().manual_seed(9))
    expect(torch.equal(torch.as_tensor(first), torch.as_tensor(second)),
           "Two generators seeded the same way gave different actions: pass "
           "generator=generator to torch.multinomial. (Categorical(...).sample() takes no "
           "generator and draws from torch's global RNG, so it cannot be used here.)")


def test_log_probs_match_categorical(exercise):
    """Log-probs are (B,) and equal Categorical(logits=logits).log_prob(actions)."""
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(8, 4, generator=g) * 2
    actions = torch.randint(4, (8,), generator=g)
    want = Categorical(logits=logits).log_prob(actions)
    log_probs = exercise.action_log_probs(logits, actions.clone())
    expect_tensor(log_probs, name="the tensor of log-probs", shape=(8,),
                  dtype=torch.float32, values=want, atol=1e-5, concept=CONCEPT_LOGP)


def test_log_probs_extreme_logits(exercise):
    """Log-probs stay finite when a probability underflows (log_softmax, not log of softmax)."""
    logits = torch.tensor([[0.0, -200.0, 50.0], [30.0, -90.0, 0.0]])
    actions = torch.tensor([1, 1])
    want = Categorical(logits=logits).log_prob(actions)
    log_probs = exercise.action_log_probs(logits, actions.clone())
    expect_tensor(log_probs, name="the log-prob tensor for very unlikely actions", shape=(2,),
                  finite=True, values=want,
                  atol=1e-3, concept=(
                      "softmax gives these actions a probability below float32's smallest "
                      "number, so it rounds to 0 and log(0) = -inf. torch.log_softmax works "
                      "in log space and returns the true value (about -250 and -120)."))


def test_log_probs_keep_the_gradient(exercise):
    """Log-probs stay connected to the logits, and the gradient is the right one."""
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(6, 3, generator=g).requires_grad_()
    actions = torch.randint(3, (6,), generator=g)
    log_probs = exercise.action_log_probs(logits, actions.clone())
    expect_tensor(log_probs, name="the log-prob tensor", shape=(6,), grad_fn=True,
                  concept="The policy gradient flows from the loss through log pi(a|s) into "
                  "the logits; do not detach or call .item() here.")
    log_probs.sum().backward()
    reference = torch.nn.functional.one_hot(actions, 3) - torch.softmax(logits.detach(), -1)
    expect_tensor(logits.grad, name="d(sum of log-probs)/d(logits)", shape=(6, 3),
                  values=reference, atol=1e-5,
                  concept="d log softmax(z)[a] / dz = onehot(a) - softmax(z). " + CONCEPT_LOGP)


def test_batch_of_one(exercise):
    """One state: one sampled action of shape (1,), one log-prob of shape (1,)."""
    logits = torch.tensor([[0.2, -1.0, 1.5]])
    actions = exercise.sample_actions(logits, torch.Generator().manual_seed(3))
    expect_tensor(actions, name="the sampled actions for a batch of one", shape=(1,),
                  dtype=torch.int64, concept=CONCEPT_SAMPLE + " squeeze(-1), not squeeze(): "
                  "without a dim, squeeze also removes the batch dimension when B = 1.")
    log_probs = exercise.action_log_probs(logits, torch.tensor([2]))
    expect_tensor(log_probs, name="the log-probs for a batch of one", shape=(1,),
                  values=torch.log_softmax(logits, -1)[:, 2], atol=1e-5,
                  concept=CONCEPT_LOGP + " squeeze(-1), not squeeze(): without a dim, squeeze "
                  "also removes the batch dimension when B = 1.")


def test_inputs_left_as_they_were(exercise):
    """Neither function changes the logits or the actions it is given (call it twice)."""
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(5, 4, generator=g).requires_grad_()
    actions = torch.randint(4, (5,), generator=g)
    for _ in range(2):
        inputs = InputSnapshot(logits=logits, actions=actions)
        exercise.sample_actions(logits.detach(), torch.Generator().manual_seed(1))
        exercise.action_log_probs(logits, actions)
        inputs.expect_untouched(function="sample_actions / action_log_probs",
                                concept=CONCEPT_LOGP)


def test_the_generator_stream_moves_on(exercise):
    """Two calls with one generator draw fresh actions: the stream is used, not restarted."""
    logits = torch.zeros(50, 6)
    generator = torch.Generator().manual_seed(4)
    first = exercise.sample_actions(logits, generator)
    second = exercise.sample_actions(logits, generator)
    expect(not torch.equal(torch.as_tensor(first), torch.as_tensor(second)),
           "Two calls with the same generator drew exactly the same 50 actions: each call "
           "restarts the stream (a new Generator seeded from generator.initial_seed(), or "
           "manual_seed on every call), so every rollout step repeats the same draws. Draw "
           "from the generator you are given as it is; it moves on by itself.\n"
           + CONCEPT_SAMPLE)


def test_action_log_probs_contract(exercise):
    """action_log_probs keeps its promise for a batch of one, many actions, float64, logits
    of +-1000, and gradients."""
    check_contract(Contract(
        function="action_log_probs", call=exercise.action_log_probs,
        reference=lambda logits, actions: torch.log_softmax(logits, -1).gather(
            -1, actions.unsqueeze(-1)).squeeze(-1),
        inputs=lambda d: Args(
            d.randn(d["batch"], d["actions"], scale=d["scale"]).requires_grad_(),
            d.randint(d["actions"], d["batch"])),
        axes={"batch": [1, 5], "actions": [2, 11], "dtype": [torch.float32, torch.float64],
              "scale": [1.0, EXTREME_LOGIT]},
        atol=1e-4, rtol=1e-5, concept=CONCEPT_LOGP))


DRAWS = 1500  # per row: a frequency's standard deviation is at most 0.013, the bound 0.08 (6 of them)


def _frequencies(sample_actions):
    """sample_actions as a function with one right answer: how often each action comes up.

    It is called once on the caller's logits (a (B,) int64 tensor of valid actions, from the
    generator), then on every row repeated DRAWS times; the result is each row's frequency of
    each action, which must be softmax(logits) within sampling noise, for any right way of
    drawing (multinomial, inverse CDF, Gumbel-max).
    """
    def call(logits, seed):
        batch, n_actions = logits.shape
        generator = torch.Generator().manual_seed(seed)
        actions = sample_actions(logits, generator)
        expect_tensor(actions, name=f"the sampled actions for {batch} row(s) of {n_actions} "
                      f"{logits.dtype} logits".replace("torch.", ""), shape=(batch,),
                      dtype=torch.int64, concept=CONCEPT_SAMPLE)
        many = sample_actions(logits.repeat(DRAWS, 1), generator)
        expect_tensor(many, name="the sampled actions", shape=(DRAWS * batch,),
                      dtype=torch.int64, concept=CONCEPT_SAMPLE)
        expect(bool(((many >= 0) & (many < n_actions)).all()),
               f"Some sampled actions lie outside 0 .. {n_actions - 1}.\n" + CONCEPT_SAMPLE)
        rows = torch.arange(batch).repeat(DRAWS)
        counts = torch.bincount(rows * n_actions + many, minlength=batch * n_actions)
        return counts.view(batch, n_actions).double() / DRAWS

    return call


def test_sample_actions_contract(exercise):
    """sample_actions draws by softmax(logits) for a batch of one, one action or many,
    float64, and logits of +-1000, from the generator alone."""
    def inputs(draw):
        logits = draw.randn(draw["batch"], draw["actions"], scale=draw["scale"])
        return Args(logits, draw.seed())

    check_contract(Contract(
        function="sample_actions", call=_frequencies(exercise.sample_actions),
        reference=lambda logits, seed: torch.softmax(logits.double(), dim=-1),
        inputs=inputs, gradients=False, tolerance={torch.float64: (0.08, 0.0)},
        axes={"batch": [1, 3], "actions": [1, 2, 9], "dtype": [torch.float32, torch.float64],
              "scale": [1.0, EXTREME_LOGIT]}, budget=8,
        concept="Each row's actions come up as often as softmax(logits) says, whatever the "
        "logits' size: torch.softmax subtracts each row's max first, so logits of 1000 give "
        "probabilities, not inf. " + CONCEPT_SAMPLE))

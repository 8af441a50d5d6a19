"""Check: a Gaussian policy: exp(log_std), log-prob and entropy summed, sample vs rsample."""

import math

import torch
from torch.distributions import Normal

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

OBS, ACT = 4, 3
LOG_STD = [-1.0, 0.0, 0.7]  # negative on purpose: a scale of log_std would be invalid
CONCEPT_DIST = "distribution: Normal(self.mean_net(obs), self.log_std.exp())."
CONCEPT_SUM = (
    "An action is one event with independent dimensions: its log-probability and the "
    "entropy are SUMS over the last dim, .sum(dim=-1), giving (B,)."
)
CONCEPT_SAMPLE = (
    "sample(): under torch.no_grad(), distribution(obs).sample() for rollouts; rsample(): "
    "distribution(obs).rsample() = mean + std * noise, which gradients flow through."
)


def _policy(exercise, act_dim=ACT, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    policy = exercise.GaussianPolicy(OBS, act_dim).to(dtype)
    with torch.no_grad():
        policy.log_std.copy_(torch.tensor(LOG_STD[:act_dim] if act_dim <= 3 else
                                          torch.linspace(-1, 0.7, act_dim).tolist()))
    return policy


def _obs(size, seed=1, dtype=torch.float32):
    return torch.randn(size, OBS, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _mean_std(policy, obs):
    with torch.no_grad():
        mean = policy.mean_net(obs)
        return mean, policy.log_std.exp().expand_as(mean)


def _call(fn, *args, what):
    try:
        return fn(*args)
    except ValueError as error:
        if "scale" not in str(error):
            raise
        expect(False, f"{what} stopped: Normal refused its scale ({str(error)[:120]}...). The "
               "scale is the standard deviation, which must be positive: std = "
               "self.log_std.exp(), not log_std itself.\n" + CONCEPT_DIST)


def _normal_log_prob(actions, mean, std):
    z = (actions - mean) / std
    return (-0.5 * z**2 - std.log() - 0.5 * math.log(2 * math.pi)).sum(-1)


def test_distribution_mean_and_std(exercise):
    """The distribution's mean is mean_net(obs) and its std is exp(log_std), both (B, A)."""
    policy, obs = _policy(exercise), _obs(5)
    dist = _call(policy.distribution, obs, what="distribution(obs)")
    mean, std = _mean_std(policy, obs)
    expect(isinstance(dist, torch.distributions.Distribution),
           f"distribution should return a torch.distributions object, not "
           f"{type(dist).__name__}.\n" + CONCEPT_DIST)
    expect_tensor(dist.mean, name="the distribution's mean", shape=(5, ACT), values=mean,
                  atol=1e-6, concept=CONCEPT_DIST)
    expect_tensor(dist.stddev, name="the distribution's standard deviation", shape=(5, ACT),
                  values=std, atol=1e-6, concept="log_std is a log: the spread is its "
                  "exponential. " + CONCEPT_DIST)


def test_log_prob_is_one_number_per_action(exercise):
    """log_prob of (B, A) actions is (B,): summed over the action dimensions, with grad."""
    policy, obs = _policy(exercise), _obs(6)
    actions = torch.randn(6, ACT, generator=torch.Generator().manual_seed(2))
    logp = _call(policy.log_prob, obs, actions, what="log_prob(obs, actions)")
    expect_tensor(logp, name="log_prob(obs, actions)", shape=(6,), dtype=torch.float32,
                  grad_fn=True, concept=CONCEPT_SUM)
    mean, std = _mean_std(policy, obs)
    expect_tensor(logp, name="log_prob(obs, actions)", values=_normal_log_prob(actions, mean, std),
                  atol=1e-5, concept=CONCEPT_SUM + " " + CONCEPT_DIST)
    logp.sum().backward()
    expect(policy.log_std.grad is not None and policy.mean_net[-1].weight.grad is not None,
           "The log-probability's gradient must reach both the mean network and log_std: PPO "
           "learns both through it.\n" + CONCEPT_DIST)


def test_entropy_is_one_number_per_observation(exercise):
    """entropy(obs) is (B,): the sum over action dims of 0.5 * log(2 pi e) + log_std."""
    policy, obs = _policy(exercise), _obs(4)
    entropy = _call(policy.entropy, obs, what="entropy(obs)")
    expect_tensor(entropy, name="entropy(obs)", shape=(4,), dtype=torch.float32, grad_fn=True,
                  concept=CONCEPT_SUM)
    per_dim = 0.5 * math.log(2 * math.pi * math.e) + torch.tensor(LOG_STD)
    expect_tensor(entropy, name="entropy(obs)", values=per_dim.sum().expand(4), atol=1e-5,
                  concept=CONCEPT_SUM + " " + CONCEPT_DIST)


def test_rsample_is_differentiable(exercise):
    """rsample's action is mean + std * noise: d action / d log_std = action - mean."""
    policy, obs = _policy(exercise), _obs(5)
    torch.manual_seed(3)
    action = _call(policy.rsample, obs, what="rsample(obs)")
    expect_tensor(action, name="rsample(obs)", shape=(5, ACT), dtype=torch.float32, grad_fn=True,
                  concept="A gradient (SAC's actor loss) must flow through the action: use "
                  "rsample(), not sample(). " + CONCEPT_SAMPLE)
    mean, _ = _mean_std(policy, obs)
    d_log_std, d_bias = torch.autograd.grad(action.sum(), [policy.log_std, policy.mean_net[-1].bias])
    expect_tensor(d_log_std, name="d sum(action) / d log_std", values=(action.detach() - mean).sum(0),
                  atol=1e-5, concept="With action = mean + exp(log_std) * noise, the gradient "
                  "on log_std is exp(log_std) * noise = action - mean. " + CONCEPT_SAMPLE)
    expect_tensor(d_bias, name="d sum(action) / d (the mean layer's bias)",
                  values=torch.full((ACT,), 5.0), atol=1e-5, concept=CONCEPT_SAMPLE)


def test_sample_has_no_graph(exercise):
    """sample's action is a plain tensor: no grad, no graph, for a rollout."""
    policy, obs = _policy(exercise), _obs(5)
    torch.manual_seed(4)
    action = _call(policy.sample, obs, what="sample(obs)")
    expect_tensor(action, name="sample(obs)", shape=(5, ACT), dtype=torch.float32,
                  requires_grad=False, grad_fn=False, concept=CONCEPT_SAMPLE)


def test_draws_follow_the_distribution(exercise):
    """4000 draws each from sample and rsample have the policy's mean and spread."""
    policy = _policy(exercise)
    obs = _obs(1, seed=5).expand(4000, OBS)
    mean, std = _mean_std(policy, obs[:1])
    bound = 6 / math.sqrt(4000)  # six standard errors
    for name, fn in (("sample", policy.sample), ("rsample", policy.rsample)):
        torch.manual_seed(6)
        z = (fn(obs).detach() - mean) / std
        expect(bool((z.mean(0).abs() < bound).all()),
               f"{name}(obs) draws are not centred on the mean: the standardised mean per "
               f"dimension is {z.mean(0).tolist()}.\n" + CONCEPT_DIST)
        expect(bool(((z.std(0) - 1).abs() < 6 / math.sqrt(2 * 4000)).all()),
               f"{name}(obs) draws have the wrong spread: in units of exp(log_std) their std "
               f"per dimension is {z.std(0).tolist()}, expected 1.\n" + CONCEPT_DIST)


def test_batch_of_one_single_action_dim_and_float64(exercise):
    """B = 1 and A = 1 keep their dims; a float64 policy gives float64 results."""
    for size, act_dim, dtype in ((1, 1, torch.float32), (1, 3, torch.float64),
                                 (3, 1, torch.float64)):
        policy, obs = _policy(exercise, act_dim, dtype=dtype), _obs(size, dtype=dtype)
        actions = torch.randn(size, act_dim, generator=torch.Generator().manual_seed(7),
                              dtype=dtype)
        before = (obs.clone(), actions.clone())
        where = f"for B = {size}, A = {act_dim}, {dtype}"
        mean, std = _mean_std(policy, obs)
        expect_tensor(policy.log_prob(obs, actions), name=f"log_prob {where}", shape=(size,),
                      dtype=dtype, values=_normal_log_prob(actions, mean, std), atol=1e-5,
                      concept=CONCEPT_SUM)
        expect_tensor(policy.entropy(obs), name=f"entropy {where}", shape=(size,), dtype=dtype,
                      concept=CONCEPT_SUM)
        torch.manual_seed(8)
        expect_tensor(policy.sample(obs), name=f"sample {where}", shape=(size, act_dim),
                      dtype=dtype, concept=CONCEPT_SAMPLE)
        expect_tensor(policy.rsample(obs), name=f"rsample {where}", shape=(size, act_dim),
                      dtype=dtype, grad_fn=True, concept=CONCEPT_SAMPLE)
        for label, now, then in zip(("obs", "actions"), (obs, actions), before, strict=True):
            expect_tensor(now, name=f"the caller's {label}", values=then,
                          concept="Never change the caller's tensors in place.")


def _reference_outputs(policy, obs, actions):
    """The docstring's Gaussian, written once from the policy's own mean_net and log_std."""
    mean, std = policy.mean_net(obs), policy.log_std.exp()
    z = (actions - mean) / std
    log_prob = (-0.5 * z**2 - policy.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    entropy = (0.5 + 0.5 * math.log(2 * math.pi) + policy.log_std).expand_as(mean).sum(-1)
    return log_prob, entropy, mean, std.expand_as(mean)


def _learner_outputs(policy, obs, actions):
    dist = _call(policy.distribution, obs, what="distribution(obs)")
    return (policy.log_prob(obs, actions), policy.entropy(obs), dist.mean, dist.stddev)


def _drawn_policy(exercise, draw, *, log_std_scale):
    """The learner's policy for the drawn action size and dtype, its weights seeded by the
    draw (the global stream put back), log_std drawn at the given scale."""
    act = draw["act_dim"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(draw.seed())
        policy = exercise.GaussianPolicy(OBS, act).to(draw["dtype"])
    with torch.no_grad():
        policy.log_std.copy_(draw.randn(act, scale=log_std_scale))
    return policy


def test_contract(exercise):
    """log_prob, entropy and the distribution keep their promise for every B, A, dtype and
    log_std, gradients included."""
    def inputs(draw):
        act = draw["act_dim"]
        policy = _drawn_policy(exercise, draw, log_std_scale=draw["log_std_scale"])
        obs = draw.randn(draw["batch"], OBS)
        actions = draw.randn(draw["batch"], act, scale=draw["action_scale"])
        return Args(policy, obs.requires_grad_(), actions.requires_grad_())
    check_contract(Contract(
        function="GaussianPolicy", call=_learner_outputs, reference=_reference_outputs,
        inputs=inputs,
        axes={"batch": [1, 6], "act_dim": [1, 5], "dtype": [torch.float32, torch.float64],
              "log_std_scale": [0.3, 2.0], "action_scale": [1.0, 20.0]},
        atol=1e-4, rtol=1e-5, budget=8, concept=CONCEPT_DIST + " " + CONCEPT_SUM))


def _seeded_draws(policy, obs):
    """sample then rsample from the same seeded global stream, for yours and the reference."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(23)
        return policy.sample(obs), policy.rsample(obs)


def _reference_draws(policy, obs):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(23)
        mean, std = policy.mean_net(obs), policy.log_std.exp()
        with torch.no_grad():
            sampled = Normal(mean, std).sample()
        return sampled, mean + std * torch.randn_like(mean)


def _name_float32_noise(case, got, want):
    """Noise made with torch.randn(shape) is float32 (and on the CPU) whatever the policy is."""
    if case.axes["dtype"] != torch.float64 or not isinstance(got, tuple) or len(got) != 2:
        return
    for name, yours, promised in zip(("sample", "rsample"), got, want, strict=True):
        if (isinstance(yours, torch.Tensor) and yours.shape == promised.shape
                and not torch.allclose(yours.detach(), promised.detach(), atol=1e-9, rtol=1e-7)
                and torch.allclose(yours.detach(), promised.detach(), atol=1e-4)):
            fail(f"In a float64 policy your {name}() is off by about 1e-7: its noise was drawn in "
                 "float32 (torch.randn(shape) makes float32 on the CPU, whatever the policy's "
                 "dtype and device). Draw it like the mean: torch.randn_like(mean), or let "
                 "Normal's sample() / rsample() do it.\n" + CONCEPT_SAMPLE)


def test_contract_draws(exercise):
    """sample and rsample draw mean + std * noise in the policy's dtype from the global stream
    (a graph through rsample's action only), for every B, A and dtype."""
    def inputs(draw):
        return Args(_drawn_policy(exercise, draw, log_std_scale=0.5),
                    draw.randn(draw["batch"], OBS))
    check_contract(Contract(
        function="GaussianPolicy.sample / rsample", call=_seeded_draws, reference=_reference_draws,
        inputs=inputs,
        axes={"batch": [1, 8], "act_dim": [1, 5], "dtype": [torch.float32, torch.float64]},
        atol=1e-5, rtol=1e-5, budget=6, uses_rng=True, diagnose=_name_float32_noise,
        concept=CONCEPT_SAMPLE))

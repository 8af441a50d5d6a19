"""Check: the full PPO loss: clipped policy term + vf_coef * value loss - ent_coef * entropy."""

import torch

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "total = policy_loss + vf_coef * value_loss - ent_coef * entropy, with policy_loss = "
    "-mean(min(ratio * A, clamp(ratio, 1 - eps, 1 + eps) * A)), value_loss = mean((V - R)^2) "
    "and entropy = the mean entropy. A, old log-probs, returns and old values are constants: "
    "detach them."
)
B = 12


def _batch(seed, size=B, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)

    def draw(scale=1.0, shift=0.0):
        return (torch.randn(size, generator=g, dtype=torch.float64) * scale + shift).to(dtype)

    old = draw(0.5, -1.2)
    return {
        "new_log_probs": (old + draw(0.35)).requires_grad_(),
        "old_log_probs": old,
        "advantages": draw(2.0),
        "new_values": draw(3.0).requires_grad_(),
        "returns": draw(5.0, 1.0),
        "entropy": (draw(0.2, 1.0).abs() + 0.1).requires_grad_(),
        "old_values": draw(3.0),
    }


def _ref_parts(batch, clip_eps=0.2, value_clip=None):
    """The three parts in float64, from detached copies of the inputs."""
    b = {k: v.detach().double() for k, v in batch.items()}
    ratio = (b["new_log_probs"] - b["old_log_probs"]).exp()
    adv = b["advantages"]
    policy = -torch.min(ratio * adv, ratio.clamp(1 - clip_eps, 1 + clip_eps) * adv).mean()
    value = (b["new_values"] - b["returns"]).pow(2)
    if value_clip is not None:
        old = b["old_values"]
        v_clip = old + (b["new_values"] - old).clamp(-value_clip, value_clip)
        value = torch.max(value, (v_clip - b["returns"]).pow(2))
    return policy, value.mean(), b["entropy"].mean()


def _call(exercise, batch, **options):
    kwargs = {k: v for k, v in batch.items() if k != "old_values"}
    if options.get("value_clip") is not None:
        kwargs["old_values"] = batch["old_values"]
    out = exercise.ppo_loss(**kwargs, **options)
    expect(isinstance(out, (tuple, list)) and len(out) == 4,
           "ppo_loss should return a tuple of four: (total, policy_loss, value_loss, entropy); "
           f"it returned {type(out).__name__}"
           + (f" of length {len(out)}." if isinstance(out, (tuple, list)) else "."))
    names = ("the total loss", "the policy loss", "the value loss", "the mean entropy")
    for tensor, name in zip(out, names, strict=True):
        expect_tensor(tensor, name=f"{name} (the {names.index(name) + 1}. result)", shape=(),
                      dtype=batch["returns"].dtype,
                      concept="Each part is a mean over the batch: a 0-dim tensor, in the "
                      "dtype of the inputs. " + CONCEPT)
    return out


def _close(a, b):
    return abs(float(a) - float(b)) <= 1e-5 + 1e-5 * abs(float(b))


def test_four_scalars(exercise):
    """ppo_loss returns (total, policy, value, entropy), 0-dim, the total with a graph."""
    total, *_ = _call(exercise, _batch(0))
    expect_tensor(total, name="the total loss", grad_fn=True,
                  concept="The total is what backward() runs on: it must stay attached to "
                  "new_log_probs, new_values and entropy.")


def test_policy_term(exercise):
    """The policy part is chapter 8's clipped surrogate, on the advantages as given."""
    batch = _batch(1)
    _, policy, _, _ = _call(exercise, batch)
    want, _, _ = _ref_parts(batch)
    got = policy.detach().item()
    if not _close(got, want):
        b = {k: v.detach().double() for k, v in batch.items()}
        ratio = (b["new_log_probs"] - b["old_log_probs"]).exp()
        adv = b["advantages"]
        norm = (adv - adv.mean()) / (adv.std() + 1e-8)
        wrong = {
            "max instead of min: the clip lands on the wrong side (CleanRL's torch.max is of "
            "the NEGATED terms, which is the same as -min)":
                -torch.max(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean(),
            "the objective without the minus sign: gradient descent would make good actions "
            "less likely": torch.min(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean(),
            "the advantages normalised inside the loss: this exercise takes them as given "
            "(normalisation happens before the loss)":
                -torch.min(ratio * norm, ratio.clamp(0.8, 1.2) * norm).mean(),
        }
        for story, value in wrong.items():
            if _close(got, value):
                fail(f"The policy loss is {got:.6g}, expected {float(want):.6g}: {story}.\n"
                     + CONCEPT)
    expect_close(got, float(want), name="the policy loss (second result)", atol=1e-5,
                 concept=CONCEPT)


def test_value_term(exercise):
    """The value part is mean((V - R)^2), before vf_coef."""
    batch = _batch(2)
    _, _, value, _ = _call(exercise, batch, vf_coef=0.7)
    _, want, _ = _ref_parts(batch)
    got = value.detach().item()
    stories = {
        0.5: "half the MSE. CleanRL writes 0.5 * mean((V - R)^2); this exercise asks for the "
             "plain mean((V - R)^2), as SB3's F.mse_loss, and lets vf_coef do the scaling",
        0.7: "already multiplied by vf_coef. Return the value loss before its coefficient; "
             "vf_coef belongs in the total only",
        float(B): "a sum, not a mean over the batch",
    }
    for factor, story in stories.items():
        if not _close(got, want) and _close(got, factor * want):
            fail(f"The value loss is {got:.6g}, expected {float(want):.6g}: {story}.\n" + CONCEPT)
    expect_close(got, float(want), name="the value loss (third result)", atol=1e-5,
                 concept=CONCEPT)


def test_entropy_term(exercise):
    """The fourth result is the mean entropy, a positive number."""
    batch = _batch(3)
    _, _, _, entropy = _call(exercise, batch)
    _, _, want = _ref_parts(batch)
    expect_close(entropy.detach().item(), float(want), name="the mean entropy (fourth result)", atol=1e-5,
                 concept="Report the entropy itself, entropy.mean(), positive; the minus sign "
                 "belongs in the total only. " + CONCEPT)


def test_total_combines_the_parts(exercise):
    """total = policy + vf_coef * value - ent_coef * entropy."""
    batch = _batch(4)
    vf, ent = 0.7, 0.05
    total, *_ = _call(exercise, batch, vf_coef=vf, ent_coef=ent)
    p, v, h = _ref_parts(batch)
    want, got = p + vf * v - ent * h, total.detach().item()
    stories = {
        "the entropy bonus was ADDED: the loss must subtract ent_coef * entropy, so that "
        "minimising it keeps the policy uncertain": p + vf * v + ent * h,
        "vf_coef was not applied to the value loss: the value term (returns in the "
        "hundreds, squared) then drowns the policy term": p + v - ent * h,
        "ent_coef was not applied to the entropy": p + vf * v - h,
        "the entropy term is missing": p + vf * v,
    }
    for story, value in stories.items():
        if not _close(got, want) and _close(got, value):
            fail(f"The total loss is {got:.6g}, expected {float(want):.6g}: {story}.\n" + CONCEPT)
    expect_close(got, float(want), name="the total loss with vf_coef 0.7 and ent_coef 0.05",
                 atol=1e-5, concept=CONCEPT)


def test_entropy_gradient_raises_entropy(exercise):
    """Gradient descent on the total pushes the entropy UP: d total / d H_i = -ent_coef / B."""
    batch = _batch(5)
    total, *_ = _call(exercise, batch, ent_coef=0.05)
    total.backward()
    grad = batch["entropy"].grad
    expect(grad is not None, "No gradient reached the entropy: keep the entropy term attached "
           "(no .item() or .detach() on it in the total).\n" + CONCEPT)
    expect_tensor(grad, name="the gradient of the total for each sample's entropy",
                  values=torch.full((B,), -0.05 / B), atol=1e-7,
                  concept="The entropy is a bonus: total = ... - ent_coef * entropy.mean(), so "
                  "each sample's gradient is -ent_coef / B, and a step of gradient descent "
                  "raises the entropy.")


def test_advantages_are_constants(exercise):
    """Advantages computed from the critic's output: only the value term trains the critic."""
    batch = _batch(6)
    critic = batch["new_values"]
    # A = R - V straight from the critic: attached, as a careless caller would pass it.
    batch["advantages"] = batch["returns"] - critic
    total, *_ = _call(exercise, batch, vf_coef=0.5)
    total.backward()
    want = 0.5 * 2.0 * (critic.detach() - batch["returns"]) / B
    expect_tensor(critic.grad, name="the gradient that reached the critic's values",
                  values=want, atol=1e-6,
                  concept="The advantages arrived attached to the critic (A = R - V). Without "
                  "advantages.detach() the policy term also pushes on the critic, through A. "
                  "Detach them: only vf_coef * value_loss may train the critic.")


def test_rollout_constants_get_no_gradient(exercise):
    """old log-probs and returns that arrive attached receive no gradient."""
    batch = _batch(7)
    old_source = batch["old_log_probs"].clone().requires_grad_()
    returns_source = batch["returns"].clone().requires_grad_()
    batch["old_log_probs"] = old_source * 1.0
    batch["returns"] = returns_source * 1.0
    total, *_ = _call(exercise, batch)
    total.backward()
    expect(old_source.grad is None or not bool(old_source.grad.any()),
           "A gradient reached old_log_probs. They record the policy that collected the data: "
           "use old_log_probs.detach() in the ratio.\n" + CONCEPT)
    expect(returns_source.grad is None or not bool(returns_source.grad.any()),
           "A gradient reached the returns. They are the critic's regression target, made from "
           "the rollout: use returns.detach() in the value loss, or the target moves with the "
           "prediction.\n" + CONCEPT)


def test_clipped_value_loss(exercise):
    """With value_clip: mean(max((V - R)^2, (V_clipped - R)^2)), old values a constant."""
    batch = _batch(8)
    old_source = batch["old_values"].clone().requires_grad_()
    batch["old_values"] = old_source * 1.0
    total, _, value, _ = _call(exercise, batch, value_clip=0.2)
    _, want, _ = _ref_parts(batch, value_clip=0.2)
    _, plain, _ = _ref_parts(batch)
    got = value.detach().item()
    b = {k: v.detach().double() for k, v in batch.items()}
    v_clip = b["old_values"] + (b["new_values"] - b["old_values"]).clamp(-0.2, 0.2)
    stories = {
        "value_clip was ignored: with value_clip given, a value may not gain from moving more "
        "than value_clip away from old_values": plain,
        "min instead of max: the clipped value loss takes the pessimistic (larger) error": torch.min(
            (b["new_values"] - b["returns"]) ** 2, (v_clip - b["returns"]) ** 2).mean(),
        "only the clipped error (SB3's form); this exercise takes the max of both errors, as "
        "CleanRL does": ((v_clip - b["returns"]) ** 2).mean(),
    }
    for story, wrong in stories.items():
        if not _close(got, want) and _close(got, wrong):
            fail(f"The clipped value loss is {got:.6g}, expected {float(want):.6g}: {story}.\n"
                 "V_clipped = old_values + clamp(V - old_values, -value_clip, value_clip).")
    expect_close(got, float(want), name="the value loss with value_clip = 0.2", atol=1e-5,
                 concept="value_loss = mean(max((V - R)^2, (V_clipped - R)^2)) with V_clipped "
                 "= old_values + clamp(V - old_values, -value_clip, value_clip).")
    total.backward()  # the logged value_loss may come back detached; the total may not
    expect(old_source.grad is None or not bool(old_source.grad.any()),
           "A gradient reached old_values: they come from the rollout, detach them.")


def test_value_clip_zero_still_clips(exercise):
    """value_clip = 0.0 is a clip, not "no clip": the value may not move from old_values."""
    batch = _batch(12)
    _, _, value, _ = _call(exercise, batch, value_clip=0.0)
    _, want, _ = _ref_parts(batch, value_clip=0.0)
    _, plain, _ = _ref_parts(batch)
    got = value.detach().item()
    if not _close(got, want) and _close(got, plain):
        fail(f"With value_clip = 0.0 the value loss is {got:.6g}, the unclipped loss; "
             f"expected {float(want):.6g}. 0.0 is falsy: `if value_clip:` treats it as no clip. "
             "Test `if value_clip is not None:`; None is the only \"off\".")
    expect_close(got, float(want), name="the value loss with value_clip = 0.0", atol=1e-5,
                 concept="value_clip = 0.0 pins V_clipped to old_values: value_loss = "
                 "mean(max((V - R)^2, (old_values - R)^2)). Only None switches clipping off.")


def test_float64_and_a_batch_of_one(exercise):
    """float64 inputs give float64 results; a batch of one works."""
    for size in (1, 5):
        batch = _batch(9 + size, size=size, dtype=torch.float64)
        total, *_ = _call(exercise, batch, vf_coef=0.5, ent_coef=0.01)
        p, v, h = _ref_parts(batch)
        expect_close(total.detach().item(), float(p + 0.5 * v - 0.01 * h), atol=1e-9,
                     name=f"the total loss for a float64 batch of {size}", concept=CONCEPT)


def test_inputs_left_alone(exercise):
    """Called twice on the same tensors: same result, inputs unchanged."""
    batch = _batch(11)
    critic = batch["new_values"]
    # Attached advantages (A = R - V from the critic), as a careless caller passes them.
    batch["advantages"] = batch["returns"] - critic
    before = {k: v.detach().clone() for k, v in batch.items()}
    graph = {k: (v.requires_grad, v.grad_fn) for k, v in batch.items()}
    first = [x.detach().item() for x in _call(exercise, batch, value_clip=0.3)]
    second = [x.detach().item() for x in _call(exercise, batch, value_clip=0.3)]
    for key, value in batch.items():
        expect(torch.equal(value.detach(), before[key]),
               f"ppo_loss changed its input `{key}` in place; the rollout is used again in the "
               "next epoch. Work on new tensors.")
        expect(value.grad is None, f"ppo_loss left a gradient in `{key}`: it should only build "
               "the loss; backward() is the caller's business.")
        expect((value.requires_grad, value.grad_fn) == graph[key],
               f"ppo_loss cut the caller's `{key}` off its graph (requires_grad "
               f"{graph[key][0]} -> {value.requires_grad}): an in-place `.detach_()` changes "
               f"the caller's tensor. Use `{key} = {key}.detach()`, which makes a new one.")
    expect(first == second, f"Two calls on the same inputs gave different results: {first} then "
           f"{second}.")


def _reference_loss(new_log_probs, old_log_probs, advantages, new_values, returns, entropy, *,
                    clip_eps=0.2, vf_coef=0.5, ent_coef=0.01, old_values=None, value_clip=None):
    """The docstring's ppo_loss, written once: every rollout input a constant."""
    adv, old_lp, target = advantages.detach(), old_log_probs.detach(), returns.detach()
    ratio = (new_log_probs - old_lp).exp()
    policy = -torch.min(ratio * adv, ratio.clamp(1 - clip_eps, 1 + clip_eps) * adv).mean()
    value = (new_values - target).pow(2)
    if value_clip is not None:
        old = old_values.detach()
        v_clip = old + (new_values - old).clamp(-value_clip, value_clip)
        value = torch.max(value, (v_clip - target).pow(2))
    value, ent = value.mean(), entropy.mean()
    return policy + vf_coef * value - ent_coef * ent, policy, value, ent


def _logged_parts_detached(function):
    """The three logged parts may keep their graphs or not: judge their values, and the
    gradient through the total only."""
    def call(*args, **kwargs):
        out = function(*args, **kwargs)
        if isinstance(out, (tuple, list)) and len(out) == 4:
            return (out[0], *(x.detach() if isinstance(x, torch.Tensor) else x for x in out[1:]))
        return out
    return call


def _name_ratio_from_two_exps(case, got, want):
    """exp(new) / exp(old) is 0 / 0 once log-probs pass below exp's range."""
    if case.axes["log_probs"] == "moderate" or not isinstance(got, (tuple, list)) or not got:
        return
    total = got[0]
    if isinstance(total, torch.Tensor) and total.device.type != "meta" and not bool(
            torch.isfinite(total.detach()).all()):
        fail("With old log-probs near " + ("-120" if case.axes["dtype"] == torch.float32 else
             "-800") + " (an unlikely action, or a log-prob summed over many action dims) your "
             f"total is {total.item()}: exp of a log-prob that low is 0 in "
             f"{str(case.axes['dtype']).removeprefix('torch.')}, so exp(new) / exp(old) is "
             "0 / 0. Take the ratio in log space: ratio = exp(new_log_probs - old_log_probs).\n"
             + CONCEPT)


def test_contract(exercise):
    """ppo_loss keeps its promise on every batch the docstring allows."""
    def inputs(draw):
        size = draw["batch"]
        # Log-probs of unlikely actions (or summed over many action dims) go far below
        # exp's range (exp(-120) is 0 in float32, exp(-800) in float64): the ratio must
        # come from the difference, never exp(new) / exp(old).
        low = -120.0 if draw["dtype"] == torch.float32 else -800.0
        old = draw.randn(size, scale=0.5) + (low if draw["log_probs"] == "far below exp's range"
                                             else -1.0)
        # Every input a leaf that requires grad, as if the rollout's tensors arrived attached:
        # the rollout's constants must receive no gradient, the network's outputs theirs.
        return Args(
            (old + draw.randn(size, scale=draw["spread"])).requires_grad_(),
            old.requires_grad_(),
            draw.randn(size, scale=draw["adv_scale"]).requires_grad_(),
            draw.randn(size, scale=3.0).requires_grad_(),
            (draw.randn(size, scale=5.0) + 1.0).requires_grad_(),
            (draw.rand(size) + 0.1).requires_grad_(),
            clip_eps=draw["clip_eps"], vf_coef=0.7, ent_coef=0.05,
            old_values=draw.randn(size, scale=3.0).requires_grad_(),
            value_clip=draw["value_clip"])
    check_contract(Contract(
        function="ppo_loss", call=_logged_parts_detached(exercise.ppo_loss),
        reference=_logged_parts_detached(_reference_loss), inputs=inputs,
        axes={"batch": [1, 9], "dtype": [torch.float32, torch.float64],
              "log_probs": ["moderate", "far below exp's range"],
              "spread": [0.05, 1.5],  # ratios near 1, and far outside [1 - eps, 1 + eps]
              "adv_scale": [1.0, 100.0], "clip_eps": [0.2, 0.1],
              "value_clip": [None, 0.0, 0.5], "device": ["cpu", "meta"]},
        atol=1e-5, rtol=1e-5, diagnose=_name_ratio_from_two_exps, concept=CONCEPT))

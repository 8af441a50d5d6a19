"""Check: tanh's (-1, 1) mapped onto an environment's box and back; log pi's scale term."""

import math

import torch

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CONCEPT = (
    "scale = (high - low) / 2, bias = (high + low) / 2; to_env: a * scale + bias; from_env: "
    "(action - bias) / scale; env_log_prob: log_pi - log(scale).sum(), one term per action dim."
)
# (low, high) boxes: Pendulum's, a lopsided one, one that does not contain 0, and [-1, 1].
BOXES = {
    "Pendulum's [-2, 2]": ([-2.0], [2.0]),
    "[0, 3] x [-1, 5] x [-0.5, 0.25]": ([0.0, -1.0, -0.5], [3.0, 5.0, 0.25]),
    "[10, 30] x [-7, -3]": ([10.0, -7.0], [30.0, -3.0]),
    "[-1, 1] x [-1, 1]": ([-1.0, -1.0], [1.0, 1.0]),
}


def _box(name, dtype=torch.float32):
    low, high = BOXES[name]
    return torch.tensor(low, dtype=dtype), torch.tensor(high, dtype=dtype)


def _squashed(size, act, seed=0, dtype=torch.float32):
    """Actions in (-1, 1), the two ends included exactly in the first two rows."""
    g = torch.Generator().manual_seed(seed)
    a = torch.tanh(torch.randn(size, act, generator=g, dtype=dtype) * 1.5)
    if size > 1:
        a[0], a[1] = 1.0, -1.0
    return a


def _reference(a, low, high):
    scale, bias = (high - low).double() / 2, (high + low).double() / 2
    return a.double() * scale + bias


def _call(function, name, *args):
    snapshot = InputSnapshot(**{f"argument {i + 1}": t for i, t in enumerate(args)})
    out = function(*args)
    snapshot.expect_untouched(function=name, concept=CONCEPT)
    return out


def test_to_env_reaches_every_corner_of_the_box(exercise):
    """-1 lands on low, 1 on high, and the rest in between, on lopsided boxes too."""
    for box in BOXES:
        low, high = _box(box)
        a = _squashed(6, len(low), seed=1)
        got = _call(exercise.to_env, "to_env", a, low, high)
        expect_tensor(got, name=f"to_env on {box}", shape=tuple(a.shape), dtype=torch.float32,
                      finite=True, concept=CONCEPT)
        if box != "[-1, 1] x [-1, 1]" and torch.allclose(got, a):
            fail(f"to_env on {box} returned the actions unchanged, still in (-1, 1): the "
                 "environment would only ever see a sliver of its range. Map them onto the box: "
                 "a * scale + bias.\n" + CONCEPT)
        centred = a.double() * high.double()
        if not torch.allclose(centred, _reference(a, low, high)) and torch.allclose(
                got.double(), centred, atol=1e-5):
            fail(f"to_env on {box} is a * high: that fits only a box centred on 0. -1 must land "
                 "on low: a * (high - low) / 2 + (high + low) / 2.\n" + CONCEPT)
        expect_tensor(got, name=f"to_env on {box}", values=_reference(a, low, high), atol=1e-5,
                      concept=CONCEPT)


def test_from_env_undoes_to_env(exercise):
    """from_env(low) = -1, from_env(high) = 1, and from_env(to_env(a)) = a."""
    for box in BOXES:
        low, high = _box(box, torch.float64)
        ends = torch.stack([low, high, (low + high) / 2])
        got = _call(exercise.from_env, "from_env", ends, low, high)
        expect_tensor(got, name=f"from_env([low, high, middle]) on {box}", shape=(3, len(low)),
                      dtype=torch.float64,
                      values=torch.tensor([-1.0, 1.0, 0.0], dtype=torch.float64)[:, None]
                      .expand(3, len(low)), atol=1e-9,
                      concept="low maps back to -1, high to 1, the middle to 0. " + CONCEPT)
        a = _squashed(5, len(low), seed=2, dtype=torch.float64)
        back = exercise.from_env(_reference(a, low, high), low, high)
        expect_tensor(back, name=f"from_env(to_env(a)) on {box}", values=a, atol=1e-9,
                      concept=CONCEPT)


def test_env_log_prob_subtracts_the_log_of_the_scale(exercise):
    """log pi drops by the sum over the action dims of log((high - low) / 2)."""
    g = torch.Generator().manual_seed(3)
    for box in reversed(BOXES):  # Pendulum's last: there 2 log(2) is also log(high - low)
        low, high = _box(box)
        log_pi = torch.randn(7, generator=g)
        got = _call(exercise.env_log_prob, "env_log_prob", log_pi, low, high)
        expect_tensor(got, name=f"env_log_prob on {box}", shape=(7,), dtype=torch.float32,
                      concept="One log-probability per action: subtract the SUM of "
                      "log(scale) over the action dims from each. " + CONCEPT)
        term = math.fsum(math.log((h - lo) / 2) for lo, h in zip(*BOXES[box], strict=True))
        stories = {
            "log pi unchanged: the scale's term is forgotten. Stretching (-1, 1) by scale "
            "lowers the density by that factor": 0.0,
            "the scale's term applied twice": -2 * term,
            "log(scale) ADDED: a wider box spreads the same probability thinner, so the "
            "density falls and log(scale) is subtracted": term,
            "log(high - low) subtracted: the scale is HALF the width, since (-1, 1) is 2 wide":
                -math.fsum(math.log(h - lo) for lo, h in zip(*BOXES[box], strict=True)),
        }
        shift = (got.double() - log_pi.double())
        for story, wrong in stories.items():
            if abs(wrong + term) > 1e-6 and torch.allclose(shift, torch.full_like(shift, wrong),
                                                           atol=1e-5):
                fail(f"env_log_prob on {box}: {story}.\n" + CONCEPT)
        expect_tensor(got, name=f"env_log_prob on {box}", values=log_pi.double() - term,
                      atol=1e-5, concept=CONCEPT)


def test_float64_batch_of_one_and_gradients(exercise):
    """float64 in, float64 out; B = 1 stays (1, A) / (1,); gradients flow through all three."""
    for dtype in (torch.float64, torch.float32):
        low, high = _box("[0, 3] x [-1, 5] x [-0.5, 0.25]", dtype)
        a = _squashed(1, 3, seed=4, dtype=dtype).requires_grad_(True)
        out = _call(exercise.to_env, "to_env", a, low, high)
        expect_tensor(out, name=f"to_env of a {dtype} batch of one", shape=(1, 3), dtype=dtype,
                      grad_fn=True, values=_reference(a.detach(), low, high), atol=1e-5,
                      concept="The actor loss differentiates through the scaled action. "
                      + CONCEPT)
        (d_a,) = torch.autograd.grad(out.sum(), a)
        expect_tensor(d_a, name="d to_env(a) / d a", values=((high - low) / 2).expand(1, 3),
                      atol=1e-6, concept="The slope of the map is the scale. " + CONCEPT)
        x = _reference(a.detach(), low, high).to(dtype).requires_grad_(True)
        back = _call(exercise.from_env, "from_env", x, low, high)
        expect_tensor(back, name=f"from_env of a {dtype} batch of one", shape=(1, 3),
                      dtype=dtype, grad_fn=True, concept=CONCEPT)
        log_pi = torch.tensor([0.3], dtype=dtype, requires_grad=True)
        got = _call(exercise.env_log_prob, "env_log_prob", log_pi, low, high)
        expect_tensor(got, name=f"env_log_prob of a {dtype} batch of one", shape=(1,),
                      dtype=dtype, grad_fn=True, concept="Keep the (1,) shape and the graph "
                      "to log_pi. " + CONCEPT)
        (d_log_pi,) = torch.autograd.grad(got.sum(), log_pi)
        expect_tensor(d_log_pi, name="d env_log_prob / d log_pi", values=torch.ones(1, dtype=dtype),
                      concept="The scale's term is a constant: it shifts log pi and leaves "
                      "its gradient alone. " + CONCEPT)


def test_to_env_returns_a_fresh_tensor(exercise):
    """to_env returns a new tensor and gives the same answer when called twice."""
    low, high = _box("[10, 30] x [-7, -3]")
    a = _squashed(4, 2, seed=5)
    first = exercise.to_env(a, low, high)
    second = exercise.to_env(a, low, high)
    expect(first is not a and first.data_ptr() != a.data_ptr(),
           "to_env returned the caller's own tensor (changed in place): return a new one.\n"
           + CONCEPT)
    expect_tensor(second, name="to_env called a second time", values=first,
                  concept="Calling it twice gives the same answer: nothing may be changed in "
                  "place. " + CONCEPT)


def _ref_to_env(a, low, high):
    return a * ((high - low) / 2) + (high + low) / 2


def _ref_from_env(action, low, high):
    return (action - (high + low) / 2) / ((high - low) / 2)


def _ref_env_log_prob(log_pi, low, high):
    return log_pi - torch.log((high - low) / 2).sum()


def _box_and_actions(draw):
    act, size = draw["act"], draw["batch"]
    low = draw.randn(act, scale=3.0)
    high = low + draw.rand(act) * 5 + 0.1
    a = torch.tanh(draw.randn(size, act) * 2)
    if draw["ends"]:  # the extreme legal actions, exactly
        a[0] = 1.0
        a[-1] = -1.0
    return a, low, high


def test_the_promise_on_generated_boxes(exercise):
    """All three on generated boxes: B of 1 and 7, A of 1 and 3, float32 and float64, a = +-1."""
    axes = {"batch": (1, 7), "act": (1, 3), "dtype": (torch.float32, torch.float64),
            "ends": (False, True)}

    def to_env_inputs(draw):
        a, low, high = _box_and_actions(draw)
        return Args(a.requires_grad_(True), low, high)

    def from_env_inputs(draw):
        a, low, high = _box_and_actions(draw)
        return Args(_ref_to_env(a, low, high).requires_grad_(True), low, high)

    def log_prob_inputs(draw):
        _, low, high = _box_and_actions(draw)
        return Args(draw.randn(draw["batch"]).requires_grad_(True), low, high)

    for name, reference, inputs in (("to_env", _ref_to_env, to_env_inputs),
                                    ("from_env", _ref_from_env, from_env_inputs),
                                    ("env_log_prob", _ref_env_log_prob, log_prob_inputs)):
        check_contract(Contract(function=name, call=getattr(exercise, name), reference=reference,
                                inputs=inputs, axes=axes, atol=1e-5, rtol=1e-4,
                                concept=CONCEPT))

"""Check: a TD target is cut from the graph; the prediction still learns."""

import torch

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor
from torchlings.checkapi.testkit.autograd import call_autograd
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

GAMMA = 0.9
CONCEPT = (
    "A TD target is a fixed number for autograd: compute it under torch.no_grad() (or "
    "inference_mode), or call .detach() on the result. Detaching an input that never "
    "required grad (next_obs, reward) cuts nothing: the path through w is still there."
)


def make_data(seed=11, batch=6, dim=4):
    generator = torch.Generator().manual_seed(seed)
    w = torch.randn(dim, generator=generator).requires_grad_()
    obs = torch.randn(batch, dim, generator=generator)
    reward = torch.randn(batch, generator=generator)
    next_obs = torch.randn(batch, dim, generator=generator)
    return w, obs, reward, next_obs


def test_target_has_no_graph(exercise):
    """The TD target has the right values and carries no grad_fn."""
    w, _, reward, next_obs = make_data()
    target = call_autograd(exercise.td_target, w, reward, next_obs, GAMMA,
                           name="td_target(w, reward, next_obs, gamma)")
    expect_tensor(target, name="the TD target", shape=(6,), dtype=torch.float32,
                  requires_grad=False, grad_fn=False,
                  values=reward + GAMMA * (next_obs @ w.detach()), atol=1e-5,
                  concept=CONCEPT)


def test_prediction_still_learns(exercise):
    """The loss's gradient flows through V(obs) only: the semi-gradient TD update."""
    w, obs, reward, next_obs = make_data(seed=12)
    loss = call_autograd(exercise.td_loss, w, obs, reward, next_obs, GAMMA,
                         name="td_loss(w, obs, reward, next_obs, gamma)")
    expect(w.requires_grad,
           "After td_target ran, the weights w no longer require grad: switching them off "
           "stops the prediction from learning too. Cut the target, not the weights.")
    expect_tensor(loss, name="the TD loss", shape=(), requires_grad=True, grad_fn=True,
                  concept="The prediction obs @ w must stay in the graph so w can learn.")
    call_autograd(loss.backward, name="loss.backward()")
    with torch.no_grad():
        target = reward + GAMMA * (next_obs @ w)
        # Only the prediction side: d/dw mean((obs @ w - target)^2).
        want = 2.0 * obs.T @ (obs @ w - target) / obs.shape[0]
    expect_tensor(w.grad, name="the gradient of the TD loss with respect to w", shape=(4,),
                  values=want, atol=1e-5,
                  concept="With the target cut off, the gradient is 2 * mean((V(s) - target) "
                  "* s). A different value means gradient also flowed into V(s') through the "
                  "target. " + CONCEPT)


def test_answer(exercise):
    """The question: what does a whole update under torch.no_grad() do?"""
    expect_choice(
        exercise, "ANSWER", correct="b",
        choices={
            "a": "it trains normally; no_grad only affects the target",
            "b": "backward() raises an error: nothing in the block was recorded",
            "c": "it runs, but every gradient is zero",
        },
        why="no_grad stops recording for everything computed inside the block, prediction "
            "included, so the loss has no grad_fn and backward has nothing to go back "
            "through. Put only the target under no_grad.",
    )


def _td_inputs(draw):
    b, d = draw["B"], draw["D"]
    return Args(draw.randn(d).requires_grad_(), draw.randn(b, d), draw.randn(b),
                draw.randn(b, d), draw["gamma"])


_AXES = {"B": [1, 5], "D": [1, 3], "dtype": [torch.float32, torch.float64],
         "device": ["cpu", "meta"], "gamma": [0.0, 0.99]}


def _reference_target(w, reward, next_obs, gamma):
    with torch.no_grad():
        return reward + gamma * (next_obs @ w)


def test_td_contract(exercise):
    """Any batch (one included), any D, float64, any device: the target cut, the prediction learning."""
    check_contract(Contract(
        function="td_target",
        call=lambda w, obs, reward, next_obs, gamma: exercise.td_target(w, reward, next_obs, gamma),
        reference=lambda w, obs, reward, next_obs, gamma: _reference_target(w, reward, next_obs, gamma),
        inputs=_td_inputs, axes=_AXES,
        concept=CONCEPT + " The target keeps w's dtype and device: rebuilding it from "
        ".tolist() or .item() makes float32 on the CPU."))
    check_contract(Contract(
        function="td_loss", call=exercise.td_loss,
        reference=lambda w, obs, reward, next_obs, gamma: (
            (obs @ w - _reference_target(w, reward, next_obs, gamma)) ** 2).mean(),
        inputs=_td_inputs, axes=_AXES,
        concept="The semi-gradient TD loss: the gradient reaches w through the prediction "
                "obs @ w only. " + CONCEPT))

"""Check: bf16 autocast on the CPU: bf16 forward, float32 weights and loss, backward outside."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor
from torchlings.checkapi.testkit.harness import EXTREME_LOGIT, Args, Contract, check_contract

CONCEPT = (
    "Mixed precision: only the forward pass goes inside `with torch.autocast(device_type="
    "\"cpu\", dtype=torch.bfloat16):`; the model stays float32; the loss is computed from "
    "logits.float(); backward and optimizer.step() run outside the block."
)


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 3))


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(16, 6, generator=g), torch.randint(3, (16,), generator=g)


class _WatchedSGD(torch.optim.SGD):
    """SGD that remembers whether autocast was on each time step() ran."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.autocast_at_step: list[bool] = []

    def step(self, closure=None):
        self.autocast_at_step.append(torch.is_autocast_enabled("cpu"))
        return super().step(closure)


def _expect_float32_model(model, when):
    cast = {name: p.dtype for name, p in model.named_parameters() if p.dtype != torch.float32}
    expect(not cast,
           f"{when}, the model's {', '.join(cast)} are {next(iter(cast.values()), '')}: the "
           "model itself was cast. Autocast leaves the weights float32 and casts copies for "
           "each bf16 op; a bf16 model rounds every update to bf16 precision.\n" + CONCEPT)


def _why_not_bf16(logits, model, obs):
    """Explain logits that are not bf16 by what most likely made them so."""
    if not isinstance(logits, torch.Tensor) or logits.dtype == torch.bfloat16:
        return "Under bf16 autocast a Linear layer runs in bf16 and returns bf16. "
    if logits.dtype == torch.float16:
        return ("float16 logits: the autocast dtype is wrong. float16 has more digits but a "
                "tiny range (it overflows past 65504); ask for dtype=torch.bfloat16. ")
    with torch.no_grad(), torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        under_autocast = model(obs).float()
    grad_fn = type(logits.grad_fn).__name__ if logits.grad_fn is not None else ""
    same_as_bf16 = logits.shape == under_autocast.shape and torch.equal(
        logits.detach().float(), under_autocast)
    if grad_fn.startswith("ToCopy") or same_as_bf16:
        return (f"The forward pass ran under autocast, but the logits were cast up to "
                f"{logits.dtype} afterwards (a .float() or .to()). policy_logits returns the "
                "bf16 logits as they are; cloning_loss is where they are cast up. ")
    return (f"{logits.dtype} logits: the forward pass did not run under bf16 autocast. Under "
            "bf16 autocast a Linear layer runs in bf16 and returns bf16. ")


def test_answer(exercise):
    """Why the loss is computed in float32."""
    expect_choice(
        exercise, "ANSWER", correct="b",
        choices={"a": "autocast cannot run loss functions at all",
                 "b": "bf16 keeps two to three significant digits: the log-softmax and the "
                      "mean over the batch would round away the small differences the "
                      "gradient is made of",
                 "c": "the optimizer can only update float32 weights from a float32 loss"},
        why="bf16 keeps 8 significant bits, two to three decimal digits. Autocast itself "
            "runs cross_entropy and mse_loss in float32 for that reason; on the CPU, "
            "log_softmax, softmax and sum on bf16 inputs stay bf16. (The optimizer does not care: "
            "gradients always arrive in each weight's own dtype.)",
    )


def test_logits_are_bf16_and_model_stays_float32(exercise):
    """policy_logits runs the Linear layers in bf16; the weights stay float32."""
    model, (obs, _) = _model(), _data()
    with torch.no_grad():
        want = model(obs)
    logits = exercise.policy_logits(model, obs)
    _expect_float32_model(model, "After policy_logits")
    expect_tensor(logits, name="the logits from policy_logits", shape=(16, 3),
                  dtype=torch.bfloat16,
                  concept=_why_not_bf16(logits, model, obs) + CONCEPT)
    expect_tensor(logits, name="the logits from policy_logits", grad_fn=True, finite=True,
                  values=want, atol=0.05, rtol=0.02,
                  concept="They should equal the float32 model's output up to bf16 rounding. "
                  + CONCEPT)


def test_loss_is_float32(exercise):
    """cloning_loss computes cross-entropy in float32 from bf16 logits."""
    g = torch.Generator().manual_seed(2)
    logits = (torch.randn(32, 5, generator=g) * 3).bfloat16().requires_grad_()
    actions = torch.randint(5, (32,), generator=g)
    loss = exercise.cloning_loss(logits, actions)
    expect_tensor(loss, name="the cloning loss", shape=(), dtype=torch.float32, grad_fn=True,
                  concept="A loss computed from bf16 logits without .float() is bf16: two to three "
                  "digits. " + CONCEPT)
    want = F.cross_entropy(logits.detach().float(), actions)
    expect_tensor(loss, name="the cloning loss", values=want, atol=1e-5, rtol=1e-5,
                  concept="This is the float32 cross-entropy of the bf16 logits. A different "
                  "value means some of it (a log_softmax, a sum) ran in bf16: call "
                  "logits.float() first. " + CONCEPT)


def test_train_step_outside_autocast(exercise):
    """train_step: bf16 forward, float32 loss, backward and step outside autocast."""
    model, (obs, actions) = _model(), _data()
    reference = copy.deepcopy(model)
    seen_in_backward: list[bool] = []
    for p in model.parameters():
        p.register_hook(lambda grad: seen_in_backward.append(torch.is_autocast_enabled("cpu")))
    optimizer = _WatchedSGD(model.parameters(), lr=0.5)
    loss = exercise.train_step(model, optimizer, obs, actions)
    expect(optimizer.autocast_at_step, "train_step never called optimizer.step().")
    expect(seen_in_backward, "train_step never ran a backward pass that reached the weights.")
    expect(not any(seen_in_backward),
           "backward() ran inside the autocast block. Autocast already recorded its casts in "
           "the graph during the forward; backward under autocast is not supported. Close the "
           "block after the forward pass.\n" + CONCEPT)
    expect(not any(optimizer.autocast_at_step),
           "optimizer.step() ran inside the autocast block: the update is float32 work on "
           "float32 weights and belongs outside it.\n" + CONCEPT)
    _expect_float32_model(model, "After train_step")
    for name, p in model.named_parameters():
        if p.grad is not None:  # a step may clear them after it too (set_to_none frees memory)
            expect_tensor(p.grad, name=f"the gradient of {name}", dtype=torch.float32,
                          concept="Gradients of float32 weights are float32. " + CONCEPT)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        logits = reference(obs)
    want = F.cross_entropy(logits.float(), actions)
    expect(isinstance(loss, float), f"train_step should return loss.item(), a float, not "
           f"{type(loss).__name__}.")
    expect_tensor(torch.tensor(loss), name="the loss train_step returns", values=want.item(),
                  atol=1e-5, concept=CONCEPT)
    want.backward()
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.5 * p.grad
    for (name, p), q in zip(model.named_parameters(), reference.parameters(), strict=True):
        expect_tensor(p, name=f"{name} after one train_step", values=q, atol=1e-5,
                      concept=CONCEPT)


def test_train_step_clears_old_gradients(exercise):
    """A second train_step applies only its own gradient: old ones are cleared first."""
    model, (obs, actions) = _model(), _data()
    reference = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for p in model.parameters():  # leftovers of earlier work, as in any training loop
        p.grad = torch.ones_like(p)
    exercise.train_step(model, optimizer, obs, actions)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        logits = reference(obs)
    F.cross_entropy(logits.float(), actions).backward()
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.5 * p.grad
    for (name, p), q in zip(model.named_parameters(), reference.parameters(), strict=True):
        expect_tensor(p, name=f"{name} after a train_step that found old gradients in .grad",
                      values=q, atol=1e-5,
                      concept="backward() adds into .grad: optimizer.zero_grad() before it, "
                      "or the step applies the old gradients too. " + CONCEPT)


def _net(draw):
    """A float32 MLP of the case's sizes, its weights from the case's own stream."""
    sizes = [draw["obs_dim"], 16, draw["actions"]]
    model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.Tanh(), nn.Linear(sizes[1], sizes[2]))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(draw.randn(*p.shape, dtype=torch.float32) * 0.5)
    return model


def _reference_logits(model, obs):
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        return model(obs)


def _reference_step(model, optimizer, obs, expert_actions):
    loss = F.cross_entropy(_reference_logits(model, obs).float(), expert_actions)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_and_weights(train_step):
    """train_step with an optimizer of the case's kind on the model it is given (each call
    gets its own copy of the model, so the optimizer is built here); returns the loss and
    every weight after the step."""
    def run(model, obs, expert_actions, optimizer_kind):
        if optimizer_kind == "adam":
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        loss = train_step(model, optimizer, obs, expert_actions)
        return loss, tuple(p.detach().clone() for p in model.parameters())
    return run


def test_contracts(exercise):
    """All three keep their promise beyond the example, and leave autocast as they found it.

    A batch of one, other sizes, logits of +-1000, float32 logits, a model with or without
    old gradients, Adam as well as SGD."""
    def forward_inputs(draw):
        return Args(_net(draw), draw.randn(draw["batch"], draw["obs_dim"], dtype=torch.float32))

    check_contract(Contract(
        function="policy_logits", call=exercise.policy_logits, reference=_reference_logits,
        inputs=forward_inputs,
        axes={"batch": [1, 16], "obs_dim": [1, 6], "actions": [2, 9]},
        tolerance={torch.bfloat16: (1e-2, 1e-2)},  # the same ops: only a different order rounds
        concept=CONCEPT))

    def loss_inputs(draw):
        logits = draw.randn(draw["batch"], draw["actions"], scale=draw["scale"])
        return Args(logits.requires_grad_(), draw.randint(draw["actions"], draw["batch"]))

    check_contract(Contract(
        function="cloning_loss", call=exercise.cloning_loss,
        reference=lambda logits, actions: F.cross_entropy(logits.float(), actions),
        inputs=loss_inputs,
        axes={"batch": [1, 9], "actions": [2, 7], "dtype": [torch.bfloat16, torch.float32],
              "scale": [1.0, EXTREME_LOGIT]},
        atol=1e-5, rtol=1e-5, concept=CONCEPT))

    def step_inputs(draw):
        model = _net(draw)
        if draw["old_gradients"]:
            for p in model.parameters():  # leftovers of earlier work
                p.grad = draw.randn(*p.shape, dtype=torch.float32)
        obs = draw.randn(draw["batch"], draw["obs_dim"], dtype=torch.float32)
        return Args(model, obs, draw.randint(draw["actions"], draw["batch"]), draw["optimizer"])

    check_contract(Contract(
        function="train_step", call=_step_and_weights(exercise.train_step),
        reference=_step_and_weights(_reference_step), inputs=step_inputs,
        axes={"batch": [1, 16], "obs_dim": [6], "actions": [2, 9], "old_gradients": [False, True],
              "optimizer": ["sgd", "adam"]},
        atol=1e-5, rtol=1e-4, budget=6, concept=CONCEPT))

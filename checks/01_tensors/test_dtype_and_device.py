"""Check: picking a device, int64 targets, and every tensor of a loss on one device."""

import torch
import torch.nn.functional as F

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

CASES = [  # (cuda_available, mps_available) -> the device to use
    ((True, True), "cuda"),
    ((True, False), "cuda"),
    ((False, True), "mps"),
    ((False, False), "cpu"),
]


def _device_type(value, what):
    expect(isinstance(value, (torch.device, str)),
           f"{what} should return a torch.device, but it returned {type(value).__name__}.")
    return torch.device(value).type


def test_pick_device(exercise):
    """pick_device prefers CUDA, then MPS, then the CPU."""
    for (cuda, mps), want in CASES:
        got = _device_type(exercise.pick_device(cuda, mps), "pick_device")
        expect(got == want,
               f"pick_device(cuda_available={cuda}, mps_available={mps}) chose {got!r}, "
               f"expected {want!r}. Check the flags in order: CUDA first, then MPS, and the "
               "CPU only when neither is available.")


def test_best_device_asks_torch(exercise, monkeypatch):
    """best_device asks torch what this machine has (the check pretends each case)."""
    for (cuda, mps), want in CASES:
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda mps=mps: mps)
        got = _device_type(exercise.best_device(), "best_device")
        expect(got == want,
               f"On a machine where torch.cuda.is_available() is {cuda} and "
               f"torch.backends.mps.is_available() is {mps}, best_device() chose {got!r}, "
               f"expected {want!r}. Pass what those two calls return to pick_device.")


def test_class_targets(exercise):
    """Float actions become int64 class indices, on the requested device."""
    actions = torch.tensor([0.0, 2.0, 1.0, 1.0])
    concept = ("Class targets are indices: int64 (torch.long), not float32 and not int32 "
               "(.int()). t.to(device, torch.int64) moves and converts in one call.")
    targets = exercise.class_targets(actions, torch.device("cpu"))
    expect_tensor(targets, name="class_targets(actions, cpu)", shape=(4,), dtype=torch.int64,
                  device="cpu", values=[0, 2, 1, 1], concept=concept)
    targets = exercise.class_targets(actions, torch.device("meta"))
    expect_tensor(targets, name="class_targets(actions, meta)", shape=(4,), dtype=torch.int64,
                  device="meta",
                  concept="The targets must end up on the device you are given (here 'meta', "
                          "standing in for a GPU): .to(device).")


def _logits_and_actions():
    generator = torch.Generator().manual_seed(5)
    logits = torch.randn(6, 3, generator=generator)
    actions = torch.tensor([0.0, 2.0, 1.0, 1.0, 0.0, 2.0])
    return logits, actions


def test_action_loss_values(exercise):
    """On the CPU, the loss is the cross-entropy of the logits against the actions."""
    logits, actions = _logits_and_actions()
    expected = F.cross_entropy(logits, actions.long())
    try:
        loss = exercise.action_loss(logits, actions)
    except RuntimeError as error:
        fail(f"action_loss raised an error on the CPU:\n  {error}\nF.cross_entropy wants "
             "float logits and int64 targets on the logits' device; look at class_targets.")
    expect_tensor(loss, name="action_loss on the CPU", shape=(), dtype=torch.float32,
                  values=expected, atol=1e-5,
                  concept="F.cross_entropy(logits, targets) with int64 targets, averaged "
                          "over the batch.")


def test_loss_inputs_share_the_logits_device(exercise):
    """With logits on another device (meta), the targets are put next to them."""
    logits, actions = _logits_and_actions()
    logits = logits.to("meta")  # standing in for a GPU; actions stay on the CPU
    result = exercise.loss_inputs(logits, actions)
    expect(isinstance(result, tuple) and len(result) == 2,
           "loss_inputs should return a tuple of two tensors: (logits, targets).")
    got_logits, targets = result
    expect_tensor(got_logits, name="the logits loss_inputs returns", shape=(6, 3),
                  dtype=torch.float32, device="meta",
                  concept="Return the logits as they are: the network decides where they "
                          "live, and gradients must flow back to it.")
    expect_tensor(targets, name="the targets loss_inputs returns, with logits on meta",
                  shape=(6,), dtype=torch.int64, device="meta",
                  concept="Every tensor of a loss must be on one device: put the targets on "
                          "logits.device, not on a fixed device such as the CPU, or the loss "
                          "fails on a GPU with 'Expected all tensors to be on the same device'.")


def _flags_choice(choose, cuda, mps):
    value = choose(cuda, mps)
    # "cuda" and "cuda:0" name the same device here: the promise is the kind of device.
    return torch.device(value).type if isinstance(value, (torch.device, str)) else value


def _batch(draw):
    # The replay buffer's actions live on the CPU whatever the logits' device.
    actions = torch.randint(0, draw["A"], (draw["B"],), generator=draw.generator)
    logits = draw.randn(draw["B"], draw["A"], scale=2.0).requires_grad_()
    return logits, actions.to(draw.get("actions", torch.float32))


_AXES = {"B": [1, 5], "A": [2, 7], "dtype": [torch.float32, torch.float64],
         "device": ["cpu", "meta"]}


def test_dtype_and_device_contract(exercise):
    """Any flags, batch size, number of actions, logits dtype and device: targets follow the logits."""
    flags = {"cuda": [True, False], "mps": [True, False]}
    check_contract(Contract(
        function="pick_device", call=lambda c, m: _flags_choice(exercise.pick_device, c, m),
        reference=lambda c, m: "cuda" if c else "mps" if m else "cpu",
        inputs=lambda draw: Args(draw["cuda"], draw["mps"]), axes=flags,
        concept="CUDA first, then MPS, then the CPU."))
    check_contract(Contract(
        function="class_targets", call=exercise.class_targets,
        reference=lambda actions, device: actions.to(device, torch.int64),
        inputs=lambda draw: Args(_batch(draw)[1], draw.device),
        axes={"B": [1, 5], "A": [2, 18], "actions": [torch.float32, torch.float64],
              "device": ["cpu", "meta"]},
        concept="actions.to(device, torch.int64): int64 indices with the same values, on the "
                "device given. Mind .type(torch.LongTensor): it names a CPU tensor type and "
                "moves the result back to the CPU."))
    check_contract(Contract(
        function="loss_inputs", call=exercise.loss_inputs,
        reference=lambda logits, actions: (logits, actions.to(logits.device, torch.int64)),
        inputs=lambda draw: Args(*_batch(draw)), axes=_AXES,
        concept="The logits come back unchanged: the same dtype (float64 stays float64, no "
                ".float()), device and graph; only the targets move and convert, to "
                "logits.device and int64."))
    check_contract(Contract(
        function="action_loss", call=exercise.action_loss,
        reference=lambda logits, actions: F.cross_entropy(logits, actions.to(logits.device).long()),
        inputs=lambda draw: Args(*_batch(draw)), axes=_AXES,
        concept="F.cross_entropy of the logits as they are against int64 targets on their device."))

"""Check: evaluation in eval mode, without a graph, leaving every module's mode as it was."""

import copy

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor, fail, with_concept
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

EVAL_CONCEPT = (
    "model.eval() switches dropout off and makes batch norm use its running statistics; "
    "model.train() switches them back. Evaluate in eval mode."
)


def _model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(32, 2))
    model.train()
    model(torch.randn(64, 4) + 1.0)  # give batch norm running statistics to use
    return model


def _obs():
    return torch.randn(16, 4, generator=torch.Generator().manual_seed(1))


def test_evaluates_in_eval_mode(exercise):
    """The outputs are the model's eval-mode outputs: no dropout, batch norm's running stats."""
    model = _model()
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():
        want = reference(_obs())
    got = exercise.evaluate(model, _obs())
    expect_tensor(got, name="the outputs of evaluate", shape=(16, 2), values=want, atol=1e-5,
                  concept="These differ from the eval-mode outputs: the model was evaluated in "
                  "training mode, with dropout dropping random units. " + EVAL_CONCEPT)


def test_evaluating_does_not_change_the_model(exercise):
    """Evaluating leaves batch norm's running statistics untouched."""
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    exercise.evaluate(model, _obs())
    for name, value in model.state_dict().items():
        expect(torch.equal(value, before[name]),
               f"Evaluating changed the model's {name!r}: in training mode batch norm updates "
               "its running statistics with every batch it sees, so evaluation altered the "
               "model. " + EVAL_CONCEPT)


def test_no_graph(exercise):
    """The outputs carry no autograd graph."""
    got = exercise.evaluate(_model(), _obs())
    expect_tensor(got, name="the outputs of evaluate", requires_grad=False, grad_fn=False,
                  concept="Evaluation needs no gradients; torch.no_grad() or "
                  "torch.inference_mode() saves the memory and time of recording a graph. "
                  "model.eval() alone does not do this.")


def test_forward_runs_in_eval_mode_without_grad(exercise):
    """The forward pass itself runs in eval mode with autograd off (not detached afterwards)."""
    model = _model()
    seen = []

    def spy(module, inputs):
        seen.append((type(module).__name__, module.training, torch.is_grad_enabled()))

    handles = [m.register_forward_pre_hook(spy) for m in model.modules()]
    try:
        exercise.evaluate(model, _obs())
    finally:
        for handle in handles:
            handle.remove()
    expect(seen, "evaluate never ran the model's forward pass.")
    in_training = sorted({name for name, training, _ in seen if training})
    expect(not in_training,
           f"The forward pass ran with {', '.join(in_training)} in training mode. "
           "model.eval() switches every module of the model, not only the ones you switch "
           "yourself. " + EVAL_CONCEPT)
    expect(not any(grad for _, _, grad in seen),
           "The forward pass ran with autograd on: a graph was recorded and thrown away "
           "(.detach() afterwards hides it, but the memory and time were spent). Run the "
           "forward pass inside `with torch.no_grad():` (or torch.inference_mode()).")


def test_mode_is_restored(exercise):
    """A model in training mode is back in training mode afterwards (and eval stays eval)."""
    model = _model()
    exercise.evaluate(model, _obs())
    expect(all(m.training for m in model.modules()),
           "After evaluate, the model is still in eval mode, so the training that follows "
           "would run without dropout. Remember each module's mode before, and put it back "
           "afterwards.")
    model.eval()
    exercise.evaluate(model, _obs())
    expect(not any(m.training for m in model.modules()),
           "A model that was in eval mode before evaluate is in training mode afterwards. "
           "Put every module back in the mode it had, not model.train().")


def test_frozen_part_stays_frozen(exercise):
    """A frozen part kept in eval mode inside a training model is still in eval mode after."""
    model = _model()
    frozen = model[1]  # the batch norm, frozen: it must not update its statistics
    frozen.eval()
    exercise.evaluate(model, _obs())
    expect(model.training and not frozen.training,
           "The model trained with its batch norm frozen in eval mode, and after evaluate "
           f"the model's training flag is {model.training} and the frozen batch norm's is "
           f"{frozen.training}. {RESTORE_EACH}")


def test_contract(exercise):
    """The promise on other models: conv, own layers, mixed modes, a batch of one, float64."""
    def inputs(draw):
        model, obs = _generated(draw)
        return Args(model, obs)

    check_contract(Contract(
        function="evaluate", call=_observed(exercise.evaluate),
        reference=_observed(_reference_evaluate), inputs=inputs,
        axes={"model": ["mlp", "conv", "own layer"],
              "mode": ["train", "eval", "train, frozen encoder", "eval, dropout on"],
              "batch": [1, 6], "dtype": [torch.float32, torch.float64]},
        diagnose=_diagnose, concept=CONTRACT_CONCEPT))


def test_what_eval_does(exercise):
    """What model.eval() does, and what it does not."""
    expect_choice(
        exercise, "ANSWER", correct="a",
        choices={
            "a": "it switches layers such as dropout and batch norm to their evaluation "
                 "behaviour; autograd still records a graph unless you also use no_grad / "
                 "inference_mode",
            "b": "it turns off gradient tracking, like torch.no_grad()",
            "c": "both: evaluation behaviour for dropout and batch norm, and no gradient "
                 "tracking",
        },
        why="eval() only flips each module's `training` flag, which dropout and batch norm "
            "read. Gradient tracking is autograd's business: torch.no_grad() or "
            "torch.inference_mode(). Evaluation wants both.",
    )


# ---- the contract: generated models, observed from outside ------------------------------

RESTORE_EACH = (
    "model.train(mode) and model.eval() set the flag of every submodule, so "
    "model.train(was_training) puts a part that was frozen in eval mode (or a dropout left on "
    "on purpose) in the top module's mode. Save each module's own flag before, "
    "modes = {m: m.training for m in model.modules()}, and put each back after "
    "(m.training = mode)."
)
CONTRACT_CONCEPT = (
    "Evaluate with every module in eval mode (model.eval()) and autograd off "
    "(torch.no_grad()), then leave every module in the mode it was in."
)


class _TrainingShift(nn.Module):
    """A layer of the model's own that, like dropout, behaves differently while training."""

    def forward(self, x):
        return x + 1.0 if self.training else x


def _generated(draw):
    """A model of (encoder, head), its batch norm warmed up, in the case's modes; and obs."""
    width = 16
    with torch.random.fork_rng(devices=[]):  # building a model draws; the caller's stream stays
        torch.manual_seed(draw.seed())
        if draw["model"] == "conv":
            encoder = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                    nn.Flatten())
            width, obs_shape = 4 * 4 * 4, (2, 4, 4)
        elif draw["model"] == "own layer":
            encoder = nn.Sequential(nn.Linear(4, width), nn.LayerNorm(width), _TrainingShift(),
                                    nn.BatchNorm1d(width))
            obs_shape = (4,)
        else:
            encoder = nn.Sequential(nn.Linear(4, width), nn.BatchNorm1d(width), nn.ReLU())
            obs_shape = (4,)
        model = nn.Sequential(encoder, nn.Sequential(nn.Dropout(0.5), nn.Linear(width, 3)))
        model.to(draw["dtype"]).train()
        with torch.no_grad():
            model(draw.randn(8, *obs_shape) + 1.0)  # batch norm gets running statistics
    mode = draw["mode"]
    model.train(mode.startswith("train"))
    if mode == "train, frozen encoder":
        encoder.eval()
    elif mode == "eval, dropout on":
        model[1][0].train()
    return model, draw.randn(draw["batch"], *obs_shape)


def _reference_evaluate(model, obs):
    twin = copy.deepcopy(model).eval()  # the caller's model is never switched at all
    with torch.no_grad():
        return twin(obs)


def _observed(evaluate):
    """evaluate, and what can be seen of it from outside: the modes each module's forward ran
    in, and the model after the call (every module's mode, its parameters and buffers)."""
    def call(model, obs):
        ran = []

        def spy(module, inputs):
            ran.append((type(module).__name__, module.training, torch.is_grad_enabled()))

        hooks = [m.register_forward_pre_hook(spy) for m in model.modules()]
        try:
            outputs = evaluate(model, obs)
        finally:
            for hook in hooks:
                hook.remove()
        return {
            "outputs": outputs,
            "layers that ran in training mode": sorted({name for name, training, _ in ran
                                                        if training}),
            "forward passes with autograd on": sum(grad for _, _, grad in ran),
            "modes after": [m.training for m in model.modules()],
            "model after": {k: v.detach().clone() for k, v in model.state_dict().items()},
        }
    return call


def _diagnose(case, got, want):
    if not isinstance(got, dict) or set(got) != set(want):
        return
    mode = case.axes["mode"]
    if got["layers that ran in training mode"]:
        layers = ", ".join(got["layers that ran in training mode"])
        fail(with_concept(
            f"With a {case.axes['model']} model in mode {mode!r}, the forward pass ran with "
            f"{layers} in training mode. model.eval() switches every module, including "
            "layers of a model's own that read self.training; switching only the dropout and "
            "batch norm layers you know of misses the rest.", EVAL_CONCEPT))
    if got["forward passes with autograd on"]:
        fail(with_concept(
            f"With a {case.axes['model']} model, the forward pass ran with autograd on: run "
            "it inside `with torch.no_grad():` (or torch.inference_mode()).", CONTRACT_CONCEPT))
    if got["modes after"] != want["modes after"]:
        top = want["modes after"][0]
        if mode in ("train, frozen encoder", "eval, dropout on") and all(
                flag == top for flag in got["modes after"]):
            fail(with_concept(
                f"The model came in mixed modes ({mode}) and left with every module in "
                f"{'training' if top else 'eval'} mode. {RESTORE_EACH}", CONTRACT_CONCEPT))
        fail(with_concept(
            f"The model came in mode {mode!r} and left in another: every module should end "
            f"in the mode it had before. {RESTORE_EACH}", CONTRACT_CONCEPT))

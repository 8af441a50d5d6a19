"""Check: evaluation in eval mode, without a graph, leaving the model's mode as it was."""

import copy

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_choice, expect_tensor

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
        seen.append((module.training, torch.is_grad_enabled()))

    handle = model[0].register_forward_pre_hook(spy)
    try:
        exercise.evaluate(model, _obs())
    finally:
        handle.remove()
    expect(seen, "evaluate never ran the model's forward pass.")
    expect(not any(training for training, _ in seen),
           "The forward pass ran with the model in training mode. " + EVAL_CONCEPT)
    expect(not any(grad for _, grad in seen),
           "The forward pass ran with autograd on: a graph was recorded and thrown away "
           "(.detach() afterwards hides it, but the memory and time were spent). Run the "
           "forward pass inside `with torch.no_grad():` (or torch.inference_mode()).")


def test_mode_is_restored(exercise):
    """A model in training mode is back in training mode afterwards (and eval stays eval)."""
    model = _model()
    exercise.evaluate(model, _obs())
    expect(all(m.training for m in model.modules()),
           "After evaluate, the model is still in eval mode, so the training that follows "
           "would run without dropout. Remember model.training before, and call "
           "model.train() again afterwards.")
    model.eval()
    exercise.evaluate(model, _obs())
    expect(not any(m.training for m in model.modules()),
           "A model that was in eval mode before evaluate is in training mode afterwards. "
           "Put it back in the mode it had: model.train(was_training).")


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

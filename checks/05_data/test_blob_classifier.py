"""Check: cross-entropy on raw logits with int64 targets, accuracy, and a trained classifier."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor, fail, record_series
from torchlings.checkapi.testkit.contracts import expect_py_float
from torchlings.checkapi.testkit.harness import EXTREME_LOGIT, Args, Contract, check_contract

CE_CONCEPT = (
    "cross_entropy applies log-softmax itself: pass the raw logits, and the labels as int64 "
    "class indices (labels.long())."
)


def _blobs(n, generator):
    """Two Gaussian blobs around (-1.5, -1.5) and (1.5, 1.5); labels as floats, as from a file."""
    labels = (torch.rand(n, generator=generator) < 0.5).float()
    centres = (labels * 3.0 - 1.5).unsqueeze(1)
    return centres + torch.randn(n, 2, generator=generator), labels


def _loss(exercise, logits, labels):
    try:
        return exercise.classification_loss(logits, labels)
    except RuntimeError as error:
        if labels.is_floating_point():
            fail("classification_loss fails on float labels:\n"
                 f"  {str(error).splitlines()[0]}\n"
                 "Labels arrive as floats (0.0, 1.0, 2.0). cross_entropy reads float targets as "
                 "class probabilities of shape (B, C); class indices must be int64: "
                 "labels.long().")
        raise


def test_loss_on_logits(exercise):
    """classification_loss equals cross-entropy of the raw logits against the labels."""
    generator = torch.Generator().manual_seed(0)
    logits = (3 * torch.randn(8, 3, generator=generator)).requires_grad_()
    labels = torch.randint(0, 3, (8,), generator=generator)
    want = nn.functional.cross_entropy(logits, labels).detach()
    for given in (labels.float(), labels):
        loss = _loss(exercise, logits, given)
        expect_tensor(loss, name="the loss", shape=(), grad_fn=True, concept=CE_CONCEPT)
        softmax_twice = nn.functional.cross_entropy(torch.softmax(logits, -1), labels)
        if torch.allclose(loss.detach(), softmax_twice.detach(), atol=1e-5):
            fail(f"The loss is {loss.item():.4f}, expected {want.item():.4f}: softmax was applied "
                 "before cross_entropy, which applies log-softmax again. The probabilities it "
                 "sees are squashed towards uniform and the gradients shrink. " + CE_CONCEPT)
        expect_tensor(loss, name=f"the loss for {given.dtype} labels", values=want, atol=1e-5,
                      concept=CE_CONCEPT)


def test_accuracy(exercise):
    """accuracy counts rows whose largest logit is at the label's class."""
    logits = torch.tensor([[2.0, 0.1], [0.3, 1.0], [5.0, -1.0], [0.0, 0.5], [1.0, 0.9]])
    labels = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0])  # right, right, wrong, wrong, right
    concept = ("argmax over the class dimension (dim=-1) gives one predicted class per row, "
               "shape (B,); compare with the labels and take the mean, as a Python float "
               "(.item()).")
    for given in (labels, labels.long()):
        try:
            value = exercise.accuracy(logits, given)
        except RuntimeError as error:
            fail(f"accuracy failed on logits of shape (5, 2) and labels of shape (5,):\n"
                 f"  {str(error).splitlines()[0]}\n" + concept)
        expect_close(value, 0.6, name="accuracy on 5 rows, 3 right", concept=concept)


def test_accuracy_is_a_python_float(exercise):
    """accuracy returns a Python float, as its docstring says (not a 0-d tensor)."""
    logits = torch.tensor([[2.0, 0.1], [0.3, 1.0], [5.0, -1.0]])
    value = exercise.accuracy(logits, torch.tensor([0.0, 1.0, 1.0]))
    expect_py_float(value, name="the value accuracy returns",
                    concept="(predictions == labels).float().mean().item(): a number to print "
                    "and log.")


def test_trains_to_high_accuracy(exercise):
    """Trained on two blobs, the classifier gets at least 95% of new points right."""
    torch.set_num_threads(1)  # a tiny model: extra threads only add overhead on a busy CPU
    generator = torch.Generator().manual_seed(1)
    x_train, labels_train = _blobs(256, generator)
    x_test, labels_test = _blobs(512, generator)
    torch.manual_seed(0)
    model, losses = exercise.train_classifier(x_train, labels_train)
    record_series("loss", losses)
    with torch.no_grad():
        correct = (model(x_test).argmax(-1) == labels_test.long()).float().mean().item()
    expect(correct >= 0.95,
           f"After training, the classifier gets {correct:.1%} of the test points right; two "
           "blobs this far apart allow about 98%. Look at the loss curve: " + CE_CONCEPT)


def test_contracts(exercise):
    """The loss and the accuracy keep their promise for any number of classes, a batch of one,
    float or int labels, float64 logits, and logits of +-1000."""
    def inputs(draw):
        batch, classes = draw["batch"], draw["classes"]
        labels = draw.randint(classes, batch)
        if draw["labels"] == "float":
            labels = labels.to(torch.float32)
        return Args(draw.randn(batch, classes, scale=draw["scale"]).requires_grad_(), labels)

    axes = {"batch": [1, 9], "classes": [2, 3, 10], "labels": ["int64", "float"],
            "dtype": [torch.float32, torch.float64], "scale": [1.0, EXTREME_LOGIT]}
    check_contract(Contract(
        function="classification_loss", call=exercise.classification_loss,
        reference=lambda logits, labels: nn.functional.cross_entropy(logits, labels.long()),
        inputs=inputs, axes=axes, atol=1e-4, rtol=1e-5, concept=CE_CONCEPT))
    check_contract(Contract(
        function="accuracy", call=exercise.accuracy,
        reference=lambda logits, labels: (logits.argmax(-1) == labels.long()).double().mean().item(),
        inputs=inputs, axes=axes, atol=1e-6, rtol=0.0,  # a float32 mean is fine
        concept="accuracy is the fraction of rows whose argmax over the classes (dim=-1) is "
                "the label, for any number of classes, as a Python float."))

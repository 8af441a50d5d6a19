"""Check: broadcasting a bias and per-sample weights, and the (B,) vs (B, 1) trap."""

import torch

from torchlings.checkapi.testing import expect_tensor
from torchlings.checkapi.testkit.contracts import InputSnapshot
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

# Square batches (B == A) are where a wrong broadcast raises no error, so every
# test tries one square and one non-square case.
SIZES = [(3, 3), (4, 2)]


def _x(b, a):
    return torch.arange(b * a, dtype=torch.float32).view(b, a)


def test_add_bias(exercise):
    """A bias of shape (A,) is added to every row of a (B, A) batch."""
    for b, a in SIZES:
        x, bias = _x(b, a), torch.arange(a, dtype=torch.float32) * 10 + 1
        want = [[x[i, j].item() + bias[j].item() for j in range(a)] for i in range(b)]
        inputs = InputSnapshot(x=x, bias=bias)
        out = exercise.add_bias(x, bias)
        inputs.expect_untouched(function="add_bias",
                                concept="add_bias returns a new tensor: x + bias, not x += bias.")
        expect_tensor(
            out, name=f"add_bias(x of shape ({b}, {a}), bias ({a},))",
            shape=(b, a), dtype=torch.float32,
            values=want,
            concept="Shapes line up from the right: (B, A) + (A,) adds bias[j] to column j of "
                    "every row, with no unsqueeze needed. Making the bias a column (A, 1) "
                    "adds it down the rows instead.",
        )


def test_weight_rows(exercise):
    """Per-sample weights of shape (B,) scale whole rows, also when B == A."""
    for b, a in SIZES:
        x, w = _x(b, a), torch.arange(1, b + 1, dtype=torch.float32)
        want = [[x[i, j].item() * w[i].item() for j in range(a)] for i in range(b)]
        inputs = InputSnapshot(x=x, weights=w)
        out = exercise.weight_rows(x, w)
        inputs.expect_untouched(function="weight_rows",
                                concept="weight_rows returns a new tensor: x * w, not x *= w.")
        expect_tensor(
            out, name=f"weight_rows(x of shape ({b}, {a}), w ({b},))",
            shape=(b, a), dtype=torch.float32,
            values=want,
            concept="A (B,) vector lines up with the LAST dimension of (B, A), the columns. "
                    "To scale rows it must be a column: weights.unsqueeze(1) is (B, 1).",
        )


def _q_and_targets(b):
    q_taken = torch.tensor([[0.5], [1.0], [-2.0], [3.0], [0.25]])[:b]
    targets = torch.tensor([1.0, 1.0, 0.0, 2.0, -1.0])[:b]
    return q_taken, targets


def test_td_errors(exercise):
    """TD errors of a (B, 1) prediction and a (B,) target are (B,), one per sample, B = 1 too."""
    for b in (4, 5, 1):
        q_taken, targets = _q_and_targets(b)
        expect_tensor(
            exercise.td_errors(q_taken, targets),
            name=f"td_errors(q_taken of shape ({b}, 1), targets ({b},))", shape=(b,),
            dtype=torch.float32, values=targets - q_taken[:, 0],
            concept="(B,) - (B, 1) broadcasts to (B, B). Bring q_taken to (B,) first: "
                    "q_taken.squeeze(1). Name the dim: a bare .squeeze() also drops the batch "
                    "dim when B = 1 and returns a 0-d tensor.",
        )


def test_td_loss(exercise):
    """The mean squared TD error averages B squared errors, not B*B."""
    q_taken, targets = _q_and_targets(5)
    expected = ((targets - q_taken[:, 0]) ** 2).mean()
    expect_tensor(
        exercise.td_loss(q_taken, targets), name="td_loss on a batch of 5", shape=(),
        dtype=torch.float32, values=expected,
        concept="A loss that is one number hides a (B, B) broadcast: its shape looks fine and "
                "only its value is wrong. The errors must be (B,) before squaring and "
                "averaging.",
    )


_AXES = {"B": [1, 3, 5], "A": [1, 3], "dtype": [torch.float32, torch.float64],
         "x": ["moderate", "with -inf (masked actions)"]}


def _batch(draw):
    x = draw.randn(draw["B"], draw["A"], scale=3.0)
    if draw["x"] != "moderate":
        x[:, -1] = float("-inf")  # an action masked out in every row
    return x.requires_grad_()


def test_broadcasting_contract(exercise):
    """Every function keeps its promise for any B and A, float64, masked -inf entries, with gradients."""
    check_contract(Contract(
        function="add_bias", call=exercise.add_bias, reference=lambda x, bias: x + bias,
        inputs=lambda draw: Args(_batch(draw), draw.randn(draw["A"]).requires_grad_()),
        axes=_AXES,
        concept="(B, A) + (A,) adds bias[j] to column j of every row, for any B and A, and "
                "returns a new tensor on the graph of both."))
    check_contract(Contract(
        function="weight_rows", call=exercise.weight_rows,
        reference=lambda x, weights: x * weights.unsqueeze(1),
        inputs=lambda draw: Args(_batch(draw), draw.rand(draw["B"]).add_(0.5).requires_grad_()),
        axes=_AXES,
        concept="Row i times weights[i], element by element: x * weights.unsqueeze(1). "
                "Elementwise, a masked -inf entry stays -inf; a matrix product such as "
                "torch.diag(weights) @ x also multiplies it by the 0s off the diagonal, and "
                "0 * inf is NaN (it also costs B*B*A work instead of B*A)."))
    check_contract(Contract(
        function="td_errors", call=exercise.td_errors,
        reference=lambda q_taken, targets: targets - q_taken[:, 0],
        inputs=lambda draw: Args(draw.randn(draw["B"], 1, scale=3.0).requires_grad_(),
                                 draw.randn(draw["B"], scale=3.0)),
        axes={"B": [1, 2, 6], "dtype": [torch.float32, torch.float64]},
        concept="targets - q_taken.squeeze(1): (B,) for any B, and on q_taken's graph. The "
                "TD loss trains the Q-network through these errors; detaching them (or "
                "building them with .item()) leaves nothing to learn from."))

"""Check: decoupled weight decay on weight matrices only, and a learning rate per part."""

import torch

from torchlings.testing import expect, expect_tensor

TRUNK_LR, HEAD_LR, WD = 0.01, 0.05, 0.5
DECOUPLED = ("Decoupled decay (AdamW) shrinks a weight by exactly (1 - lr * weight_decay) "
             "when its gradient is zero. Adam's weight_decay is an L2 term added to the "
             "gradient and then rescaled by Adam, so it moves the weight by about lr instead.")
NO_DECAY = ("Biases and LayerNorm parameters (the 1-D ones) belong in groups with "
            "weight_decay=0. Choose them by shape (p.ndim < 2), not by name: a name list "
            "such as the Hugging Face examples' [\"bias\", \"LayerNorm.weight\"] misses a "
            "LayerNorm stored under another name (here trunk.1).")


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.LayerNorm(16), torch.nn.ReLU(),
            torch.nn.Linear(16, 16), torch.nn.ReLU(),
        )
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.trunk(x))


def make_model(seed: int) -> Net:
    torch.manual_seed(seed)
    model = Net()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # LayerNorm starts at 1 and 0: make every value distinctive
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=generator))
    return model


def expected_settings(model: Net):
    """(name, parameter, lr, weight_decay) the optimizer should use for each parameter."""
    for part, lr in (("trunk", TRUNK_LR), ("head", HEAD_LR)):
        for name, p in getattr(model, part).named_parameters():
            yield f"{part}.{name}", p, lr, (WD if p.ndim >= 2 else 0.0)


def test_zero_gradient_decays_exactly(exercise):
    """With zero gradients, weights shrink by (1 - lr * wd); biases and norms stay put."""
    model = make_model(0)
    optimizer = exercise.make_optimizer(model, TRUNK_LR, HEAD_LR, WD)
    expect(isinstance(optimizer, torch.optim.Optimizer),
           f"make_optimizer should return a torch.optim optimizer, got {type(optimizer).__name__}.")
    before = {n: p.detach().clone() for n, p, _, _ in expected_settings(model)}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for name, p, lr, wd in expected_settings(model):
        if wd:
            expect_tensor(p.detach(), name=f"{name} after a step with zero gradient",
                          values=before[name] * (1 - lr * wd), atol=1e-7, rtol=1e-6,
                          concept=f"Expected exactly {name} * (1 - {lr} * {wd}). " + DECOUPLED)
        else:
            expect_tensor(p.detach(), name=f"{name} (1-D) after a step with zero gradient",
                          values=before[name], atol=1e-7, rtol=1e-6,
                          concept=f"{name} changed although its gradient was zero: it is being "
                          "decayed. " + NO_DECAY)


def test_learning_rate_per_part(exercise):
    """A first step with gradient 1 moves each parameter by its part's lr (plus decay)."""
    model = make_model(1)
    optimizer = exercise.make_optimizer(model, TRUNK_LR, HEAD_LR, WD)
    before = {n: p.detach().clone() for n, p, _, _ in expected_settings(model)}
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    optimizer.step()
    for name, p, lr, wd in expected_settings(model):
        expect(not torch.equal(p.detach(), before[name]),
               f"{name} did not move at all with a gradient of 1: it is in no parameter group "
               "(or its group has lr=0). Every parameter of trunk and head needs a group.")
        # Adam's first step with gradient g moves by lr * g / (|g| + eps): about lr.
        expected = before[name] * (1 - lr * wd) - lr
        expect_tensor(p.detach(), name=f"{name} after one step", values=expected,
                      atol=1e-6, rtol=1e-5,
                      concept=f"{name} should use lr={lr} ({name.split('.')[0]} learning rate) "
                      f"and weight_decay={wd}. Every parameter must be in exactly one group, "
                      "with the right settings.")

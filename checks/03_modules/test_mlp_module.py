"""Check: an MLP as an nn.Module and as an nn.Sequential compute the same thing."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import call, expect_module, expect_not_affine

IN, HIDDEN, OUT = 5, 16, 3
CONCEPT = (
    "The network is Linear(in_dim, hidden) -> ReLU -> Linear(hidden, out_dim): it maps "
    "(B, in_dim) to (B, out_dim)."
)


def _expect_sizes(build, in_dim: int, hidden: int, out_dim: int, name: str) -> None:
    net = expect_module(build(in_dim, hidden, out_dim), name=name)
    got = sum(p.numel() for p in net.parameters())
    want = in_dim * hidden + hidden + hidden * out_dim + out_dim
    shapes = ", ".join(f"{n} {tuple(p.shape)}" for n, p in net.named_parameters())
    expect(
        got > 0,
        f"{name} computes an output but has no parameters at all: its layers are not "
        "registered. nn.Module finds a layer only when it is assigned to an attribute "
        "(self.fc1 = nn.Linear(...)) or held in an nn.Sequential or nn.ModuleList; a plain "
        "Python list hides it from parameters(), the optimizer and .to(device).",
        kind="param_count",
        name=name,
        expected=want,
        actual=got,
    )
    expect(
        got == want,
        f"{name} built with in_dim={in_dim}, hidden={hidden}, out_dim={out_dim} has {got} "
        f"parameters, expected {want}: weights ({hidden}, {in_dim}) and ({out_dim}, {hidden}) "
        f"plus their biases. Yours: {shapes or 'none'}. nn.Linear stores its weight as "
        "(out_features, in_features); check the sizes you gave each layer.",
        kind="param_count",
        name=name,
        expected=want,
        actual=got,
    )


def _check_network(build, name: str) -> None:
    net = expect_module(build(IN, HIDDEN, OUT), name=name)
    x = torch.randn(8, IN, generator=torch.Generator().manual_seed(0))
    out = call(net, x, name=name, concept=CONCEPT)
    expect_tensor(out, name=f"the output of {name}", shape=(8, OUT), dtype=torch.float32,
                  grad_fn=True, finite=True, concept=CONCEPT)
    _expect_sizes(build, IN, HIDDEN, OUT, name)
    # With in_dim == hidden a layer sized from the wrong neighbour no longer crashes,
    # so count the parameters there too.
    _expect_sizes(build, 4, 4, 2, name)
    expect_not_affine(net, IN, name=name, concept=CONCEPT)
    _expect_linear_relu_linear(net, name)


def _expect_linear_relu_linear(net: nn.Module, name: str) -> None:
    """The network computes relu(x @ W1.T + b1) @ W2.T + b2 with its own weights.

    An independent reference, so a mistake made in both MLP and make_mlp (another
    activation, an extra one at the end) cannot pass by the two agreeing.
    """
    by_shape = {tuple(p.shape): p.detach() for p in net.parameters()}
    w1, b1 = by_shape[(HIDDEN, IN)], by_shape[(HIDDEN,)]
    w2, b2 = by_shape[(OUT, HIDDEN)], by_shape[(OUT,)]
    x = torch.randn(32, IN, generator=torch.Generator().manual_seed(2)) * 2
    with torch.no_grad():
        want = torch.relu(x @ w1.T + b1) @ w2.T + b2
        got = net(x)
    expect_tensor(got, name=f"the output of {name}", shape=(32, OUT), values=want, atol=1e-5,
                  concept="Linear -> ReLU -> Linear exactly: ReLU (not Tanh, not LeakyReLU) "
                  "between the layers and nothing after the output layer. " + CONCEPT)


def test_mlp_class(exercise):
    """MLP maps (B, in_dim) to (B, out_dim) through one ReLU hidden layer."""
    _check_network(exercise.MLP, "MLP")


def test_make_mlp_sequential(exercise):
    """make_mlp returns an nn.Sequential with the same layers."""
    net = exercise.make_mlp(IN, HIDDEN, OUT)
    expect(
        isinstance(net, nn.Sequential),
        f"make_mlp should return an nn.Sequential, but it returned {type(net).__name__}.",
        kind="type", name="make_mlp", expected="nn.Sequential", actual=type(net).__name__,
    )
    _check_network(exercise.make_mlp, "the nn.Sequential from make_mlp")


def test_same_function(exercise):
    """Given the same weights, MLP and make_mlp compute the same outputs."""
    torch.manual_seed(0)
    mlp = exercise.MLP(IN, HIDDEN, OUT)
    seq = exercise.make_mlp(IN, HIDDEN, OUT)
    # The sizes are all different, so each weight is matched by its shape.
    by_shape = {tuple(p.shape): p for p in mlp.parameters()}
    seq_shapes = sorted(tuple(p.shape) for p in seq.parameters())
    expect(
        seq_shapes == sorted(by_shape) and len(by_shape) == len(seq_shapes),
        "MLP and make_mlp hold weights of different shapes, so they cannot be the same "
        f"network. MLP: {sorted(by_shape)}; nn.Sequential: {seq_shapes}. "
        "Both should be Linear(in_dim, hidden) -> ReLU -> Linear(hidden, out_dim).",
        kind="param_shapes", name="MLP vs make_mlp",
    )
    with torch.no_grad():
        for p in seq.parameters():
            p.copy_(by_shape[tuple(p.shape)])
    x = torch.randn(32, IN, generator=torch.Generator().manual_seed(1)) * 2
    with torch.no_grad():
        want = mlp(x)
        got = seq(x)
    expect_tensor(
        got, name="the nn.Sequential's output (with the MLP's weights copied in)",
        shape=tuple(want.shape), values=want, atol=1e-5,
        concept="Both should be Linear -> ReLU -> Linear with nothing after the last layer; "
        "with the same weights they must agree on every input.",
    )


def _network_contract(build, function: str) -> Contract:
    """The spec once: Linear -> ReLU -> Linear on the network's own two Linear layers."""
    def inputs(draw):
        torch.manual_seed(draw.seed())
        net = build(draw["in_dim"], 8, draw["out_dim"]).to(draw["dtype"])
        return Args(net, draw.randn(draw["batch"], draw["in_dim"], scale=2.0))

    def reference(net, x):
        layers = [m for m in net.modules() if isinstance(m, nn.Linear)]
        expect(len(layers) == 2, f"{function} should hold exactly two nn.Linear layers, but it "
               f"holds {len(layers)}.\n" + CONCEPT)
        # Matched by size (hidden is 8, never in_dim): the order they are defined in is free.
        first, second = sorted(layers, key=lambda m: m.in_features != x.shape[-1])
        return second(torch.relu(first(x)))

    return Contract(
        function=function, call=lambda net, x: net(x), reference=reference, inputs=inputs,
        axes={"batch": [1, 6], "in_dim": [1, 4], "out_dim": [1, 3],
              "dtype": [torch.float32, torch.float64]},
        budget=8, concept=CONCEPT + " With out_dim = 1 that is (B, 1): no squeeze.")


def test_network_contract(exercise):
    """Both forms keep the spec for a batch of one, out_dim of 1, and float64 weights."""
    check_contract(_network_contract(exercise.MLP, "MLP"))
    check_contract(_network_contract(exercise.make_mlp, "make_mlp's network"))

"""Check: statistics are buffers (saved, not trained); parameters are counted by element."""

import torch
from torch import nn

from torchlings.checkapi.testing import expect, expect_close, expect_tensor
from torchlings.checkapi.testkit.contracts import expect_py_int
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.modules import call

OBS, ACTIONS = 4, 2
STATS = ("obs_mean", "obs_std")
CONCEPT = (
    "Running statistics belong in buffers: self.register_buffer(\"obs_mean\", tensor). A buffer "
    "is saved in state_dict() and moves with .to(), but parameters() (what the optimizer "
    "trains) leaves it out."
)


def _net(exercise):
    torch.manual_seed(0)
    return exercise.NormalizedQHead(OBS, ACTIONS)


def test_stats_are_buffers_not_parameters(exercise):
    """obs_mean and obs_std are buffers, not parameters."""
    net = _net(exercise)
    params = dict(net.named_parameters())
    buffers = dict(net.named_buffers())
    for stat in STATS:
        expect(
            stat not in params,
            f"{stat} is registered as a parameter, so it appears in named_parameters() and an "
            f"optimizer built from net.parameters() would train it. Parameter names: "
            f"{sorted(params)}.\n{CONCEPT}",
            kind="buffer_as_parameter", name=stat,
        )
        expect(
            stat in buffers,
            f"{stat} is not a buffer of the module (named_buffers() holds {sorted(buffers)}). "
            f"A plain tensor attribute is invisible to state_dict() and .to().\n{CONCEPT}",
            kind="not_a_buffer", name=stat,
        )
        expect_tensor(buffers[stat], name=f"the buffer {stat}", shape=(OBS,),
                      dtype=torch.float32, requires_grad=False, concept=CONCEPT)


def test_fresh_stats_change_nothing(exercise):
    """Before set_stats, obs_mean is 0 and obs_std is 1: the network is its Linear layer."""
    net = _net(exercise)
    obs = torch.randn(5, OBS, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        got = call(net, obs, name="NormalizedQHead")
        want = net.linear(obs)
    expect_tensor(got, name="a fresh NormalizedQHead's output", shape=(5, ACTIONS),
                  finite=True, values=want, atol=1e-6,
                  concept="Start the statistics at mean 0 (torch.zeros) and std 1 (torch.ones), "
                  "as the docstring says, so normalising changes nothing until set_stats. A std "
                  "of 0 divides by zero.")


def test_state_dict_keys(exercise):
    """state_dict() holds the Linear layer's weights and both statistics."""
    net = _net(exercise)
    keys = set(net.state_dict())
    missing = [k for k in ("linear.weight", "linear.bias", *STATS) if k not in keys]
    expect(
        not missing,
        f"state_dict() is missing {missing}; it has {sorted(keys)}. What is not in state_dict() "
        f"is not saved by torch.save(net.state_dict(), ...).\n{CONCEPT}",
        kind="state_dict_keys", name="state_dict", missing=missing,
    )


def test_optimizer_leaves_stats_alone(exercise):
    """An optimizer step on net.parameters() changes the weights but not the statistics."""
    net = _net(exercise)
    mean = torch.tensor([1.0, -2.0, 0.5, 3.0])
    std = torch.tensor([2.0, 0.5, 1.0, 4.0])
    net.set_stats(mean, std)
    obs = torch.randn(16, OBS, generator=torch.Generator().manual_seed(1))
    loss = call(net, obs, name="NormalizedQHead").pow(2).mean()
    loss.backward()
    # What torch.optim.SGD(net.parameters(), lr=0.5).step() does, written out: importing
    # torch.optim costs seconds the first time, and this check should stay fast.
    with torch.no_grad():
        for p in net.parameters():
            if p.grad is not None:
                p -= 0.5 * p.grad
    expect_tensor(net.obs_mean, name="obs_mean after an optimizer step", values=mean,
                  concept="The optimizer must not touch the statistics. " + CONCEPT)
    expect_tensor(net.obs_std, name="obs_std after an optimizer step", values=std,
                  concept="The optimizer must not touch the statistics. " + CONCEPT)


def test_save_and_load_keeps_stats(exercise):
    """A fresh network loaded from state_dict() normalises exactly like the original."""
    net = _net(exercise)
    net.set_stats(torch.tensor([1.0, -2.0, 0.5, 3.0]), torch.tensor([2.0, 0.5, 1.0, 4.0]))
    fresh = exercise.NormalizedQHead(OBS, ACTIONS)
    fresh.load_state_dict(net.state_dict())
    obs = torch.randn(8, OBS, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want = call(net, obs, name="NormalizedQHead")
        got = fresh(obs)
    expect_tensor(got, name="the reloaded network's Q-values", shape=(8, ACTIONS),
                  values=want, atol=1e-6,
                  concept="The reloaded network lost the statistics, so it sees observations on a "
                  "different scale. " + CONCEPT)


def test_count_parameters(exercise):
    """count_parameters counts every element of every parameter, and no buffer."""
    cases = [
        ("nn.Linear(4, 2)", nn.Linear(4, 2)),
        ("nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))",
         nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))),
        ("nn.BatchNorm1d(6) (its running_mean and running_var are buffers)",
         nn.BatchNorm1d(6)),
    ]
    for label, module in cases:
        want = sum(p.numel() for p in module.parameters())
        got = expect_py_int(exercise.count_parameters(module),
                            name=f"count_parameters({label})",
                            concept="The docstring promises an int: p.numel() is one already.")
        expect_close(
            got, want, name=f"count_parameters({label})", atol=0,
            concept="Add up p.numel() over module.parameters(): each parameter tensor holds "
            "many numbers (a (2, 4) weight holds 8), and buffers are not parameters.",
        )


class _Tied(nn.Module):
    """An embedding whose weight the output layer reuses: one set of numbers, two layers."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(5, 3)
        self.out = nn.Linear(3, 5, bias=False)
        self.out.weight = self.embed.weight
        self.scale = nn.Parameter(torch.ones(()))  # held by the module itself, not a layer


_MODULES = {
    "Linear(7, 1)": lambda: nn.Linear(7, 1),
    "Linear(3, 2, bias=False)": lambda: nn.Linear(3, 2, bias=False),
    "nested Sequential": lambda: nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.Tanh()),
                                               nn.LayerNorm(4), nn.Linear(4, 3)),
    "Conv2d(3, 4, 3) + BatchNorm2d(4)": lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)),
    "tied weights and a module-level parameter": _Tied,
}


def test_parameters_contract(exercise):
    """The count for any module: nested, convolutional, with buffers, tied weights counted once."""
    check_contract(Contract(
        function="count_parameters", call=exercise.count_parameters,
        reference=lambda module: sum(p.numel() for p in module.parameters()),
        inputs=lambda draw: Args(_MODULES[draw["module"]]()), axes={"module": list(_MODULES)},
        concept="module.parameters() walks every layer at every depth, the module's own "
                "parameters included, and yields a parameter shared by two layers once: "
                "sum(p.numel() for p in module.parameters())."))

    def head_and_obs(draw):
        torch.manual_seed(draw.seed())
        head = exercise.NormalizedQHead(draw["obs_dim"], draw["actions"]).to(draw["dtype"])
        head.set_stats(draw.randn(draw["obs_dim"]), draw.rand(draw["obs_dim"]).add_(0.5))
        return Args(head, draw.randn(draw["batch"], draw["obs_dim"]))

    check_contract(Contract(
        function="NormalizedQHead", call=lambda head, obs: head(obs),
        reference=lambda head, obs: head.linear((obs - head.obs_mean) / head.obs_std),
        inputs=head_and_obs,
        axes={"batch": [1, 6], "obs_dim": [1, 4], "actions": [1, 3],
              "dtype": [torch.float32, torch.float64]},
        concept="The head normalises with its statistics and applies its Linear layer, for "
                "any batch, sizes and dtype: .to(float64) converts buffers as it does "
                "parameters."))

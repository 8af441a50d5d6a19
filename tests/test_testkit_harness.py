"""The contract harness: right answers pass on every case, each kind of slip is named."""

from __future__ import annotations

import pytest
import torch

from torchlings.checkapi import testing
from torchlings.checkapi.failures import CheckFailure
from torchlings.checkapi.testkit.harness import (
    EXTREME_LOGIT,
    Args,
    Case,
    Contract,
    check_contract,
    choose_axes,
)

AXES = {"batch": [1, 6], "dtype": [torch.float32, torch.float64], "scale": [1.0, EXTREME_LOGIT]}


def _logits(draw):
    x = draw.randn(draw["batch"], 5, scale=draw["scale"]).requires_grad_()
    return Args(x)


def _softmax_contract(call, **extra):
    return Contract(function="softmax", call=call, reference=lambda x: torch.softmax(x, dim=-1),
                    inputs=_logits, axes=AXES, **extra)


def _fails(contract) -> str:
    with pytest.raises(CheckFailure) as caught:
        check_contract(contract)
    return caught.value.message


def test_a_right_answer_in_another_idiom_passes_every_case():
    check_contract(_softmax_contract(lambda x: (x - x.logsumexp(-1, keepdim=True)).exp()))


def test_softmax_without_the_max_shift_fails_on_extreme_logits():
    message = _fails(_softmax_contract(lambda x: x.exp() / x.exp().sum(-1, keepdim=True)))
    assert "scale=1000.0" in message and "overflows" in message


def test_a_hard_coded_dtype_is_named():
    message = _fails(_softmax_contract(lambda x: torch.softmax(x.float(), dim=-1)))
    assert "dtype=float64" in message and "has dtype torch.float32" in message


def test_right_values_on_a_cut_graph_fail_on_the_gradient():
    def detached_normaliser(x):
        shifted = x - x.max(-1, keepdim=True).values
        return shifted.exp() / shifted.exp().sum(-1, keepdim=True).detach()
    message = _fails(_softmax_contract(detached_normaliser))
    assert "gradient that flows back" in message


def test_a_graph_kept_where_none_is_promised_is_named():
    contract = Contract(function="target", call=lambda x: x * 2,
                        reference=lambda x: (x * 2).detach(), inputs=_logits, axes=AXES)
    assert "carries a graph" in _fails(contract)


def test_an_int_where_a_float_is_promised_is_named():
    contract = Contract(function="count", call=lambda x: int(x.numel()),
                        reference=lambda x: float(x.numel()), inputs=_logits, axes=AXES)
    assert "should be a Python float, but it is int" in _fails(contract)


def test_the_callers_tensor_changed_in_place_is_named():
    # softmax does not see a constant added to every logit: only the snapshot can tell.
    def shifts_in_place(x):
        return torch.softmax(x.detach().add_(1), dim=-1)
    contract = Contract(function="probs", call=shifts_in_place,
                        reference=lambda x: torch.softmax(x.detach(), dim=-1), inputs=_logits,
                        axes=AXES)
    assert "changed the caller's argument 1" in _fails(contract)


def test_the_global_random_stream_moved_is_named_unless_the_lesson_uses_it():
    def noisy(x):
        torch.rand(1)
        return torch.softmax(x, dim=-1)
    assert "global random stream" in _fails(_softmax_contract(noisy))
    check_contract(_softmax_contract(noisy, uses_rng=True))


def test_grad_mode_left_off_is_named():
    def switches_off(x):
        out = torch.softmax(x, dim=-1)
        torch.set_grad_enabled(False)
        return out
    message = _fails(_softmax_contract(switches_off))
    assert "autograd is switched off" in message
    assert "global state changed after a call of softmax" in message  # a sentence, read aloud
    assert torch.is_grad_enabled()


def test_the_checks_diagnosis_comes_first():
    def diagnose(case, got, want):
        testing.fail("exp() overflowed: subtract the max first")
    contract = _softmax_contract(lambda x: x.exp() / x.exp().sum(-1, keepdim=True),
                                 diagnose=diagnose)
    assert _fails(contract) == "exp() overflowed: subtract the max first"


def test_a_learner_error_names_the_case():
    def breaks_on_one(x):
        if x.shape[0] == 1:
            raise RuntimeError("no batch of one")
        return torch.softmax(x, dim=-1)
    with pytest.raises(RuntimeError, match="raised by softmax with batch=1"):
        check_contract(_softmax_contract(breaks_on_one))


def test_every_axis_value_is_tried_within_the_budget():
    axes = {"a": [1, 2, 3], "b": ["x", "y"], "c": [0.0, 1.0, 2.0, 3.0]}
    chosen = choose_axes(axes, budget=5, seed=0)
    assert len(chosen) == 5
    for name, values in axes.items():
        assert {repr(c[name]) for c in chosen} == {repr(v) for v in values}
    assert choose_axes(axes, budget=5, seed=0) == chosen  # the same cases every run


def test_the_harness_leaves_its_marker():
    check_contract(_softmax_contract(lambda x: torch.softmax(x, dim=-1)))
    assert "softmax" in testing.collected_contracts()


def test_the_meta_device_finds_a_tensor_made_on_the_cpu():
    def derivative(x):
        x = x.detach().requires_grad_()
        y = x**2
        y.backward(torch.ones(y.shape))  # on the CPU whatever x's device
        return x.grad

    def reference(x):
        x = x.detach().requires_grad_()
        return torch.autograd.grad((x**2).sum(), x)[0]

    contract = Contract(function="derivative", call=derivative, reference=reference,
                        inputs=lambda d: Args(d.randn(3)), axes={"device": ["cpu", "meta"]},
                        concept="make it with ones_like")
    with pytest.raises(RuntimeError, match="device=meta") as caught:
        check_contract(contract)
    assert "make it with ones_like" in str(caught.value)
    contract.call = reference
    check_contract(contract)  # shapes, dtypes and devices compared on meta; no values


def test_a_used_module_reaches_both_calls_with_its_gradients():
    # A contract about gradients already there (a NaN hunt, a clipping rule) needs them on
    # the module each call gets; deepcopy alone drops every .grad.
    def used_linear(draw):
        layer = torch.nn.Linear(3, 2)
        for parameter in layer.parameters():
            parameter.grad = draw.randn(*parameter.shape)
        return Args(layer)

    def grad_norms(layer):
        return torch.stack([p.grad.norm() for p in layer.parameters()])

    def ignores_grads(layer):
        return torch.zeros(2)

    contract = Contract(function="grad_norms", call=grad_norms, reference=grad_norms,
                        inputs=used_linear, axes={"case": [1, 2]})
    check_contract(contract)  # the reference and a right answer both see the gradients
    contract.call = ignores_grads
    assert "grad_norms" in _fails(contract)


def _target_contract(call):
    def inputs(draw):
        torch.manual_seed(draw.seed())
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.0), torch.nn.Linear(4, 1))
        return Args(net, draw.randn(draw["batch"], 3))

    def target(net, x):
        with torch.no_grad():
            return net(x).squeeze(-1)

    return Contract(function="target", call=call, reference=target, inputs=inputs,
                    axes={"batch": [1, 5]})


def test_a_network_left_in_eval_mode_is_named():
    def leaves_eval(net, x):
        net.eval()
        with torch.no_grad():
            return net(x).squeeze(-1)

    message = _fails(_target_contract(leaves_eval))
    assert "went from train to eval mode" in message and "argument 1" in message


def test_a_network_frozen_to_stop_a_gradient_is_named():
    def freezes(net, x):
        net.requires_grad_(False)
        return net(x).squeeze(-1)

    assert "requires_grad=True to requires_grad=False" in _fails(_target_contract(freezes))


def test_a_mode_switched_and_put_back_passes():
    def switches_and_restores(net, x):
        was = net.training
        net.eval()
        with torch.no_grad():
            out = net(x).squeeze(-1)
        net.train(was)
        return out

    check_contract(_target_contract(switches_and_restores))


def test_a_layer_added_to_the_callers_network_is_named():
    def adds_a_layer(net, x):
        net.append(torch.nn.Identity())
        with torch.no_grad():
            return net(x).squeeze(-1)

    assert "a layer was added" in _fails(_target_contract(adds_a_layer))


def test_the_checks_diagnosis_comes_first_for_a_network_left_changed():
    def explain(case, got, want):
        testing.fail("your own words: " + case.problem)

    def leaves_eval(net, x):
        net.eval()
        with torch.no_grad():
            return net(x).squeeze(-1)

    contract = _target_contract(leaves_eval)
    contract.diagnose = explain
    assert _fails(contract).startswith("your own words: it changed the caller's argument 1")


def test_a_case_names_the_key_of_the_result_that_differs():
    """Checks choose their diagnosis by the part of a dict or tuple result that broke."""
    seen: list[Case] = []
    with pytest.raises(CheckFailure):
        check_contract(Contract(
            function="stats", call=lambda x: {"mean": x.mean(), "spread": x.std() * 2},
            reference=lambda x: {"mean": x.mean(), "spread": x.std()},
            inputs=lambda draw: Args(draw.randn(5)), axes={"n": [5]},
            diagnose=lambda case, got, want: seen.append(case)))
    assert seen and seen[0].result_key == "spread"
    assert Case(label="", inputs=Args(), axes={}, problem="it changed the caller's x").result_key == ""

"""The training-loop spies record what a loop does, in order, without changing it."""

import warnings

import torch

from torchlings.checkapi.testkit.spies import EventLog, global_grad_norm, spy_optimizer, watch_backward


def make():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    log = EventLog()
    handles = watch_backward(model.parameters(), log)
    optimizer = spy_optimizer(torch.optim.SGD, model.parameters(), log, lr=0.1)
    return model, log, handles, optimizer


def test_records_order_and_stale_gradients():
    model, log, _, optimizer = make()
    x = torch.ones(4, 3)
    optimizer.zero_grad()
    model(x).sum().backward()
    model(x).sum().backward()  # accumulates: the second pass sees stale gradients
    optimizer.step()
    assert log.kinds() == ["zero_grad", "backward", "backward", "step"]
    backward = log.of_kind("backward")
    assert backward[0].stale == set() and backward[1].stale == {0, 1}
    assert backward[0].reached == {0, 1}


def test_step_event_keeps_gradients_norm_lr_and_parameters():
    model, log, _, optimizer = make()
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.ones(2, 3)).pow(2).sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    optimizer.step()
    (step,) = log.steps()
    assert all(torch.equal(a, b) for a, b in zip(step.grads, grads, strict=True))
    assert all(torch.equal(a, b) for a, b in zip(step.params_before, before, strict=True))
    assert abs(step.grad_norm - global_grad_norm(grads)) < 1e-9
    assert step.lrs == [0.1]
    # The spy is a real optimizer: the update is plain SGD.
    for p, b, g in zip(model.parameters(), before, grads, strict=True):
        assert torch.allclose(p, b - 0.1 * g)


def test_spy_works_with_lr_schedulers():
    model, log, _, optimizer = make()
    assert isinstance(optimizer, torch.optim.SGD)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5**t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "scheduler before optimizer" warning expected
        for _ in range(3):
            optimizer.zero_grad()
            model(torch.ones(1, 3)).sum().backward()
            optimizer.step()
            scheduler.step()
    assert [s.lrs[0] for s in log.steps()] == [0.1, 0.05, 0.025]


def test_handles_stop_watching():
    model, log, handles, _ = make()
    for h in handles:
        h.remove()
    model(torch.ones(1, 3)).sum().backward()
    assert log.kinds() == []

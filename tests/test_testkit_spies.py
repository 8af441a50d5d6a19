"""Tests for torchlings.checkapi.testkit.spies.watch_optimizers: it sees every step on the watched model."""

import torch

from torchlings.checkapi.testkit.spies import watch_optimizers


def test_watch_optimizers_counts_optimizers_and_records_losses():
    model = torch.nn.Linear(2, 1)
    x, y = torch.ones(4, 2), torch.zeros(4, 1)

    def loss_now():
        return torch.nn.functional.mse_loss(model(x), y)

    with watch_optimizers(model.parameters(), loss_now) as seen:
        for _ in range(3):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # rebuilt: 3 optimizers
            optimizer.zero_grad()
            loss = loss_now()
            loss.backward()
            optimizer.step()
    assert len(seen.optimizers) == 3
    assert len(seen.losses_before) == 3
    assert seen.losses_before[0] > seen.losses_before[-1]  # recorded before each step
    other = torch.nn.Linear(2, 1)
    with watch_optimizers(model.parameters(), loss_now) as seen:
        torch.optim.SGD(other.parameters(), lr=0.1).step()  # not the watched model
    assert seen.optimizers == [] and seen.losses_before == []
    optimizer.step()  # after the block: the hook is gone
    assert seen.optimizers == []

"""Debugging a loop that forgot zero_grad: reference solution."""

ANSWER = "b"


def train(model, optimizer, batches, loss_fn) -> list[float]:
    losses = []
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

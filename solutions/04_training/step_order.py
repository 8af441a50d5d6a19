"""The order of a training step: reference solution."""


def train_step(model, optimizer, batch, loss_fn) -> float:
    inputs, targets = batch
    optimizer.zero_grad()
    prediction = model(inputs)
    loss = loss_fn(prediction, targets)
    loss.backward()
    optimizer.step()
    return loss.item()

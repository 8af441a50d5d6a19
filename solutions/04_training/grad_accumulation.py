"""Gradient accumulation: reference solution."""


def accumulate_step(model, optimizer, batch, loss_fn, k: int) -> float:
    inputs, targets = batch
    full_loss = 0.0
    optimizer.zero_grad()
    for micro_inputs, micro_targets in zip(inputs.chunk(k), targets.chunk(k), strict=True):
        loss = loss_fn(model(micro_inputs), micro_targets) / k
        loss.backward()
        full_loss += loss.item()
    optimizer.step()
    return full_loss

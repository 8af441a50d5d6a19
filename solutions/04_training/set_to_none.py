"""zero_grad(set_to_none=True): reference solution."""

import torch.nn.functional as F


def critic_step(model, optimizer, obs, returns) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss = F.mse_loss(model.value(obs), returns)
    loss.backward()
    optimizer.step()
    return loss.item()

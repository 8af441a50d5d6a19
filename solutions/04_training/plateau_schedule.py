"""A plateau scheduler driven by a metric: reference solution."""

import torch


def make_plateau_scheduler(optimizer):
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="max", factor=0.5, patience=2, threshold_mode="abs"
    )


def after_evaluation(scheduler, mean_return: float) -> None:
    scheduler.step(mean_return)

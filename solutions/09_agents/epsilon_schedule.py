"""A linear epsilon schedule: reference solution."""


def epsilon_schedule(
    step: int, start: float, end: float, fraction: float, total_steps: int
) -> float:
    duration = fraction * total_steps
    if duration <= 0:
        return float(end)
    progress = min(step / duration, 1.0)
    return float(start + (end - start) * progress)

"""Learning-rate schedules: functions of the step number (0-based)."""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[int], float]


def constant(lr: float) -> Schedule:
    return lambda step: lr


def step_decay(lr: float, step_size: int = 100, gamma: float = 0.5) -> Schedule:
    """Multiply by gamma every step_size steps (PyTorch's StepLR)."""
    if step_size < 1 or not 0 < gamma <= 1:
        raise ValueError(f"step schedule: need step_size >= 1 and 0 < gamma <= 1, got {step_size}, {gamma}")
    return lambda step: lr * gamma ** (step // step_size)


def cosine(lr: float, total_steps: int = 1000, min_lr: float = 0.0) -> Schedule:
    """Half a cosine from lr down to min_lr over total_steps, then stay at min_lr."""
    if total_steps < 1:
        raise ValueError(f"cosine schedule: total_steps must be >= 1, got {total_steps}")

    def rate(step: int) -> float:
        t = min(step, total_steps) / total_steps
        return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * t))

    return rate


SCHEDULES = {"constant": constant, "step": step_decay, "cosine": cosine}


def make_schedule(name: str, lr: float, **options) -> Schedule:
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    if name == "constant" and options:
        raise ValueError(f"constant schedule takes no options, got {sorted(options)}")
    return SCHEDULES[name](lr, **options)

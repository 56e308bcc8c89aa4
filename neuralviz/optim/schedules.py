"""Learning-rate schedules: functions of the step number (0-based)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Schedule = Callable[[int], float]


def constant(lr: float) -> Schedule:
    return lambda step: lr


def _int(who: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: {key} must be an integer, got {type(value).__name__} {value!r:.60}")
    if value < 1:
        raise ValueError(f"{who}: {key} must be >= 1, got {value!r}")
    return int(value)


def _real(who: str, key: str, value, low: float, high: float, low_open: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {key} must be a number, got {type(value).__name__} {value!r:.60}")
    try:
        v = float(value)
    except OverflowError:  # an int beyond the float range
        v = math.inf
    if not math.isfinite(v) or not (v > low if low_open else v >= low) or v > high:
        raise ValueError(
            f"{who}: {key} must be a finite number in {'(' if low_open else '['}{low:g}, {high:g}], got {value!r}"
        )
    return v


def step_decay(lr: float, step_size: int = 100, gamma: float = 0.5) -> Schedule:
    """Multiply by gamma every step_size steps (PyTorch's StepLR)."""
    step_size = _int("step schedule", "step_size", step_size)
    gamma = _real("step schedule", "gamma", gamma, 0.0, 1.0, low_open=True)
    return lambda step: lr * gamma ** (step // step_size)


def cosine(lr: float, total_steps: int = 1000, min_lr: float = 0.0) -> Schedule:
    """Half a cosine from lr down to min_lr over total_steps, then stay at min_lr."""
    total_steps = _int("cosine schedule", "total_steps", total_steps)
    min_lr = _real("cosine schedule", "min_lr", min_lr, 0.0, math.inf, low_open=False)

    def rate(step: int) -> float:
        t = min(step, total_steps) / total_steps
        return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * t))

    return rate


SCHEDULES = {"constant": constant, "step": step_decay, "cosine": cosine}


def make_schedule(name: str, lr: float, **options) -> Schedule:
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    if name == "constant" and options:
        raise ValueError(f"constant schedule takes no options, got {sorted(options)}")
    try:
        return SCHEDULES[name](lr, **options)
    except TypeError as err:
        if "unexpected keyword" not in str(err):
            raise
        raise TypeError(f"{name} schedule: {err}; options: {', '.join(sorted(options))}") from None

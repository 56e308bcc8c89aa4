"""Optimizer base: a learning rate (possibly scheduled), L2 and L1 penalties, a step count.

Trainer calls `step(batch)` after the backward pass; first-order methods only read the
parameters' gradients, while second-order ones (natural gradient, the perceptron rule)
also use the batch (x, y, loss name) to gather their statistics.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..device import to_host
from .schedules import make_schedule


def number(
    who: str,
    key: str,
    value,
    low: float = 0.0,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """value as a float after checking it is a real, finite number in the interval (bool is not a number).

    TypeError for a non-number, ValueError (naming the optimizer and the key) for a value out of range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {key} must be a number, got {type(value).__name__} {value!r:.60}")
    try:
        v = float(value)
    except OverflowError:  # an int beyond the float range
        v = math.inf
    inside = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not math.isfinite(v) or not inside:
        interval = ("(" if low_open else "[") + f"{low:g}, " + (f"{high:g}" if math.isfinite(high) else "inf")
        interval += ")" if high_open or not math.isfinite(high) else "]"
        raise ValueError(f"{who}: {key} must be a finite number in {interval}, got {value!r}")
    return v


def flag(who: str, key: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {key} must be True or False, got {type(value).__name__} {value!r:.60}")
    return bool(value)


class Optimizer:
    name = ""
    hyperparameters: dict[str, Any] = {}
    # Per-parameter state lists (one array per parameter) that follow the parameters between host
    # and GPU memory; an optimizer whose update runs on backend kernels alone sets on_device.
    state_names: tuple[str, ...] = ()
    on_device = False
    _device = None  # where the state arrays live (None: host memory)

    def __init__(
        self,
        net,
        lr: float = 0.01,
        weight_decay: float = 0.0,
        l1: float = 0.0,
        schedule: str = "constant",
        schedule_options: dict | None = None,
        **hparams,
    ):
        who = f"optimizer {self.name!r}"
        unknown = set(hparams) - set(self.hyperparameters)
        if unknown:
            allowed = ["lr", "weight_decay", "l1", "schedule", "schedule_options", *self.hyperparameters]
            raise ValueError(f"{who}: unknown hyperparameter(s) {sorted(unknown)}; allowed: {', '.join(allowed)}")
        # finite and >= 0: an infinite or NaN rate turns every weight into NaN at the first step
        lr, weight_decay, l1 = (number(who, k, v) for k, v in (("lr", lr), ("weight_decay", weight_decay), ("l1", l1)))
        if schedule_options is not None and not isinstance(schedule_options, dict):
            raise TypeError(f"{who}: schedule_options must be a dict, got {type(schedule_options).__name__}")
        if not hasattr(net, "parameters"):
            raise TypeError(f"{who}: expected a Network, got {type(net).__name__}")
        self.net = net
        self.params = net.parameters()
        self.base_lr = lr
        self.weight_decay = weight_decay
        self.l1 = l1
        self.schedule_name = schedule
        self.schedule_options = dict(schedule_options or {})
        self.schedule = make_schedule(schedule, lr, **self.schedule_options)
        self.hp = {**self.hyperparameters, **hparams}
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate the next step will use."""
        return self.schedule(self.steps)

    def set_lr(self, lr: float) -> None:
        """Change the base rate live (the app's slider); keeps the schedule's shape."""
        lr = number(f"optimizer {self.name!r}", "lr", lr)
        self.schedule = make_schedule(self.schedule_name, lr, **getattr(self, "schedule_options", {}))
        self.base_lr = lr

    def step(self, batch=None) -> None:
        """One update. With pruning masks on the network (nv.prune), the pruned gradients are zeroed
        before it and the pruned weights reset to exactly 0 after it, whatever the rule (L2, L1,
        momentum, Adam's moments, a natural-gradient preconditioner or the perceptron rule), so
        no optimizer can revive a pruned weight (Han et al. 2015's masked retraining)."""
        self._follow_params()
        masked = bool(getattr(self.net, "masks", None))
        if masked:
            self.net.apply_masks(grads=True)
        self._update(self.lr, batch)
        if masked:
            self.net.apply_masks()
        self.steps += 1

    def _update(self, lr: float, batch) -> None:
        raise NotImplementedError

    def _follow_params(self) -> None:
        """Moves the state arrays to where the network's parameters now live (nv.set_backend
        switched between steps), values kept; refuses a GPU for an update written in numpy."""
        target = getattr(self.net, "device", None)
        if target is self._device:
            return
        if target is not None and not self.on_device:
            raise RuntimeError(
                f"optimizer {self.name!r} has no {target.name} kernels; train with sgd, momentum, adam or rmsprop "
                "there, or switch to the CPU backend (nv.set_backend('cpu'))"
            )
        move = to_host if target is None else target.to_device  # both leave an array already there as it is
        for name in self.state_names:
            setattr(self, name, [move(a) for a in getattr(self, name)])
        self._device = target

    def describe(self) -> dict:
        return {
            "name": self.name,
            "lr": self.base_lr,
            "weight_decay": self.weight_decay,
            "l1": self.l1,
            "schedule": self.schedule_name,
            **self.hp,
        }

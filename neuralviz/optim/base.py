"""Optimizer base: a learning rate (possibly scheduled), L2 and L1 penalties, a step count.

Trainer calls `step(batch)` after the backward pass; first-order methods only read the
parameters' gradients, while second-order ones (natural gradient, the perceptron rule)
also use the batch (x, y, loss name) to gather their statistics.
"""

from __future__ import annotations

from typing import Any

from .schedules import make_schedule


class Optimizer:
    name = ""
    hyperparameters: dict[str, Any] = {}

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
        unknown = set(hparams) - set(self.hyperparameters)
        if unknown:
            allowed = ["lr", "weight_decay", "l1", "schedule", "schedule_options", *self.hyperparameters]
            raise ValueError(
                f"optimizer {self.name!r}: unknown hyperparameter(s) {sorted(unknown)}; allowed: {', '.join(allowed)}"
            )
        for key, value in (("lr", lr), ("weight_decay", weight_decay), ("l1", l1)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or value != value:
                raise ValueError(f"optimizer {self.name!r}: {key} must be a number >= 0, got {value!r}")
        self.net = net
        self.params = net.parameters()
        self.base_lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.l1 = float(l1)
        self.schedule_name = schedule
        self.schedule = make_schedule(schedule, float(lr), **(schedule_options or {}))
        self.hp = {**self.hyperparameters, **hparams}
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate the next step will use."""
        return self.schedule(self.steps)

    def set_lr(self, lr: float) -> None:
        """Change the base rate live (the app's slider); keeps the schedule's shape."""
        self.base_lr = float(lr)
        self.schedule = make_schedule(self.schedule_name, self.base_lr)

    def step(self, batch=None) -> None:
        self._update(self.lr, batch)
        self.steps += 1

    def _update(self, lr: float, batch) -> None:
        raise NotImplementedError

    def describe(self) -> dict:
        return {
            "name": self.name,
            "lr": self.base_lr,
            "weight_decay": self.weight_decay,
            "l1": self.l1,
            "schedule": self.schedule_name,
            **self.hp,
        }

"""Optimizers by name: nv.optim.make(name, net, **hparams).

Common hyperparameters: lr, weight_decay (L2), l1, schedule ("constant", "step",
"cosine") with schedule_options. Method-specific ones are listed in each class's
`hyperparameters` (e.g. momentum/nesterov, beta1/beta2/eps; for the natural-gradient
family fisher="true"|"empirical"|"mc", damping, normalize: see optim/natural/).
"""

from __future__ import annotations

from . import natural  # noqa: F401 (nv.optim.natural is public)
from .base import Optimizer
from .first_order import SGD, Adam, Momentum, RMSprop
from .natural import NATURAL_OPTIMIZERS
from .perceptron import Perceptron
from .schedules import make_schedule

OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam, RMSprop, Perceptron)}
OPTIMIZERS.update(NATURAL_OPTIMIZERS)  # "ng-exact", "kfac", "unitwise", "qd", "diag"


def names() -> list[str]:
    return list(OPTIMIZERS)


def make(name: str, net, **hparams) -> Optimizer:
    """An optimizer for net's parameters, e.g. make("adam", net, lr=1e-3)."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](net, **hparams)


__all__ = ["make", "names", "Optimizer", "OPTIMIZERS", "make_schedule"]

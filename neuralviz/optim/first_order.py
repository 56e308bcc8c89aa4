"""First-order optimizers with PyTorch's update rules; the per-element loops run in the
Cython module neuralviz._fused (in place, GIL released)."""

from __future__ import annotations

import numpy as np

from .. import _fused
from .base import Optimizer


class SGD(Optimizer):
    name = "sgd"

    def _update(self, lr, batch):
        for p in self.params:
            _fused.sgd_update(p.value, p.grad, lr, self.weight_decay, self.l1)


class Momentum(Optimizer):
    """Heavy-ball momentum (v = mu v + g; step -lr v), or Nesterov with nesterov=True."""

    name = "momentum"
    hyperparameters = {"momentum": 0.9, "nesterov": False}

    def __init__(self, net, **kw):
        super().__init__(net, **kw)
        mu = self.hp["momentum"]
        if not 0 <= mu < 1:
            raise ValueError(f"optimizer 'momentum': momentum must be in [0, 1), got {mu!r}")
        self.velocity = [np.zeros_like(p.value) for p in self.params]

    def _update(self, lr, batch):
        for p, v in zip(self.params, self.velocity):
            _fused.momentum_update(
                p.value, p.grad, v, lr, self.hp["momentum"], bool(self.hp["nesterov"]), self.weight_decay, self.l1
            )


class Adam(Optimizer):
    name = "adam"
    hyperparameters = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def __init__(self, net, **kw):
        kw.setdefault("lr", 0.001)
        super().__init__(net, **kw)
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def _update(self, lr, batch):
        h = self.hp
        for p, m, v in zip(self.params, self.m, self.v):
            _fused.adam_update(
                p.value, p.grad, m, v, lr, h["beta1"], h["beta2"], h["eps"], self.steps + 1, self.weight_decay, self.l1
            )


class RMSprop(Optimizer):
    name = "rmsprop"
    hyperparameters = {"alpha": 0.99, "eps": 1e-8}

    def __init__(self, net, **kw):
        kw.setdefault("lr", 0.001)
        super().__init__(net, **kw)
        self.sq = [np.zeros_like(p.value) for p in self.params]

    def _update(self, lr, batch):
        for p, s in zip(self.params, self.sq):
            _fused.rmsprop_update(p.value, p.grad, s, lr, self.hp["alpha"], self.hp["eps"], self.weight_decay, self.l1)

"""First-order optimizers with PyTorch's update rules; the per-element loops are the active
backend's update kernels (in place; on the CPU the Cython loops of neuralviz._native.updates)."""

from __future__ import annotations

import numpy as np

from .. import backend
from .base import Optimizer, flag, number


class SGD(Optimizer):
    name = "sgd"
    on_device = True

    def _update(self, lr, batch):
        sgd_update = backend.current.sgd_update
        for p in self.params:
            sgd_update(p.value, p.grad, lr, self.weight_decay, self.l1)


class Momentum(Optimizer):
    """Heavy-ball momentum (v = mu v + g; step -lr v), or Nesterov with nesterov=True."""

    name = "momentum"
    hyperparameters = {"momentum": 0.9, "nesterov": False}
    state_names, on_device = ("velocity",), True

    def __init__(self, net, **kw):
        super().__init__(net, **kw)
        self.hp["momentum"] = number("optimizer 'momentum'", "momentum", self.hp["momentum"], 0.0, 1.0, high_open=True)
        self.hp["nesterov"] = flag("optimizer 'momentum'", "nesterov", self.hp["nesterov"])
        self.velocity = [np.zeros_like(p.value) for p in self.params]

    def _update(self, lr, batch):
        momentum_update = backend.current.momentum_update
        for p, v in zip(self.params, self.velocity):
            momentum_update(
                p.value, p.grad, v, lr, self.hp["momentum"], bool(self.hp["nesterov"]), self.weight_decay, self.l1
            )


class Adam(Optimizer):
    name = "adam"
    hyperparameters = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    state_names, on_device = ("m", "v"), True

    def __init__(self, net, **kw):
        kw.setdefault("lr", 0.001)
        super().__init__(net, **kw)
        for key in ("beta1", "beta2"):
            self.hp[key] = number("optimizer 'adam'", key, self.hp[key], 0.0, 1.0, high_open=True)
        self.hp["eps"] = number("optimizer 'adam'", "eps", self.hp["eps"], 0.0, low_open=True)
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def _update(self, lr, batch):
        h, adam_update = self.hp, backend.current.adam_update
        for p, m, v in zip(self.params, self.m, self.v):
            adam_update(
                p.value, p.grad, m, v, lr, h["beta1"], h["beta2"], h["eps"], self.steps + 1, self.weight_decay, self.l1
            )


class RMSprop(Optimizer):
    name = "rmsprop"
    hyperparameters = {"alpha": 0.99, "eps": 1e-8}
    state_names, on_device = ("sq",), True

    def __init__(self, net, **kw):
        kw.setdefault("lr", 0.001)
        super().__init__(net, **kw)
        self.hp["alpha"] = number("optimizer 'rmsprop'", "alpha", self.hp["alpha"], 0.0, 1.0)
        self.hp["eps"] = number("optimizer 'rmsprop'", "eps", self.hp["eps"], 0.0, low_open=True)
        self.sq = [np.zeros_like(p.value) for p in self.params]

    def _update(self, lr, batch):
        rmsprop_update = backend.current.rmsprop_update
        for p, s in zip(self.params, self.sq):
            rmsprop_update(p.value, p.grad, s, lr, self.hp["alpha"], self.hp["eps"], self.weight_decay, self.l1)

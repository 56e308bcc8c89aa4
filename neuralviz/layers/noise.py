"""Regularisers that inject randomness during training only: inverted dropout and
additive Gaussian noise. Both are the identity at evaluation time, and both draw from a
generator seeded with the network, so a run is reproducible."""

from __future__ import annotations

from ..device import beside
from .base import Layer


class _Random(Layer):
    """A layer that draws from its own generator, re-seeded by Network.reseed."""

    stochastic = True

    def set_seed(self, rng):
        self.rng = rng


class Dropout(_Random):
    type = "dropout"
    on_device = True  # the mask is drawn on the host (same seed, same mask as the CPU) and copied in
    defaults = {"p": 0.5}

    def build(self, rng):
        self.p = self.float_param("p", 0.0, 1.0, high_open=True)  # p = 1 would drop every unit
        self.rng = rng
        return self.input_shapes[0]

    def forward(self, inputs, train):
        x = inputs[0]
        if not train or self.p == 0.0:
            self.mask = None
            return x
        # inverted dropout: scale kept units by 1/(1-p) so evaluation needs no rescaling
        keep = self.rng.random(x.shape) >= self.p
        # drawn on the host whatever the backend (same seed, same mask), copied in once per step
        self.mask = beside(keep.astype(x.dtype) / x.dtype.type(1.0 - self.p), x)
        return x * self.mask

    def backward(self, grad_y):
        return [grad_y if self.mask is None else grad_y * self.mask]


class GaussianNoise(_Random):
    type = "gaussian_noise"
    on_device = True
    defaults = {"std": 0.1}

    def build(self, rng):
        self.std = self.float_param("std", 0.0, 1e6)  # finite, >= 0
        self.rng = rng
        return self.input_shapes[0]

    def forward(self, inputs, train):
        x = inputs[0]
        if not train or self.std == 0.0:
            return x
        return x + beside(self.rng.normal(0.0, self.std, size=x.shape).astype(x.dtype), x)

    def backward(self, grad_y):
        return [grad_y]

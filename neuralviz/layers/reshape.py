"""Flatten: (C, H, W) or (T, F) per example -> one feature vector, as torch.flatten(x, 1)."""

from __future__ import annotations

import numpy as np

from .base import Layer


class Flatten(Layer):
    type = "flatten"

    def build(self, rng):
        return (int(np.prod(self.input_shapes[0])),)

    def forward(self, inputs, train):
        x = inputs[0]
        self.shape = x.shape
        return x.reshape(x.shape[0], self.output_shape[0])  # explicit size: an empty batch works too

    def backward(self, grad_y):
        return [grad_y.reshape(self.shape)]

    def backward_seeds(self, seeds):
        return [seeds.reshape(seeds.shape[0], *self.shape)]

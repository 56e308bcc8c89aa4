"""Layers that only change the shape of each example: Flatten, (C, H, W) or (T, F) -> one feature vector as
torch.flatten(x, 1), and its inverse Reshape, a vector -> (C, H, W) as torch.nn.Unflatten: a generator's dense
output (N, C·H·W) becomes an image that conv layers can take (a DCGAN's first step)."""

from __future__ import annotations

import math

import numpy as np

from .base import Layer, is_int, show


class Flatten(Layer):
    type = "flatten"
    on_device = True

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


class Reshape(Layer):
    type = "reshape"
    on_device = True
    defaults = {"shape": None}

    def build(self, rng):
        shape = self.config["shape"]
        if not isinstance(shape, (list, tuple)) or not shape or not all(is_int(d) and d >= 1 for d in shape):
            raise self.error(f"'shape' must be a non-empty list of positive integers (no batch), got {show(shape)}")
        shape = tuple(int(d) for d in shape)
        have = math.prod(self.input_shapes[0])
        if math.prod(shape) != have:
            raise self.error(
                f"'shape' {list(shape)} holds {math.prod(shape):,d} elements but the input "
                f"{self.input_shapes[0]} holds {have:,d}"
            )
        return shape

    def forward(self, inputs, train):
        x = inputs[0]
        self.shape = x.shape
        return x.reshape(x.shape[0], *self.output_shape)  # explicit sizes: an empty batch works too

    def backward(self, grad_y):
        return [grad_y.reshape(self.shape)]

    def backward_seeds(self, seeds):
        return [seeds.reshape(seeds.shape[0], *self.shape)]

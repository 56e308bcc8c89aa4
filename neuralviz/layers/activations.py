"""Elementwise non-linearities, run by the active backend's kernels (on the CPU, Cython loops of
one pass). Tanh and sigmoid switch to the backend's *_large kernels from `LARGE` elements on;
the layer picks, not the backend, so small steps pay no extra Python call. Backward uses the
saved output where the derivative allows (tanh' = 1 - y^2, sigmoid' = y(1 - y)), so no second
transcendental call is needed. The Fisher's K stacked seeds (backward_seeds) take the same
derivative in one numpy broadcast over all K, which beats K calls into the loops."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..device import contiguous
from .base import Layer


class _Elementwise(Layer):
    on_device = True

    def forward(self, inputs, train):
        x = contiguous(inputs[0])
        y = np.empty_like(x)
        self._forward(x, y)
        return y

    def backward(self, grad_y):
        grad_y = contiguous(grad_y)
        grad_x = np.empty_like(grad_y)
        self._backward(grad_y, grad_x)
        return [grad_x]


class ReLU(_Elementwise):
    type = "relu"

    def _forward(self, x, y):
        backend.current.relu_forward(x, y)
        self.y = y

    def _backward(self, g, gx):
        backend.current.relu_backward(self.y, g, gx)

    def backward_seeds(self, seeds):
        return [seeds * (self.y > 0)]


class LeakyReLU(_Elementwise):
    type = "leaky_relu"
    defaults = {"slope": 0.01}

    def build(self, rng):
        self.slope = self.float_param("slope", 0.0, 1.0)
        return self.input_shapes[0]

    def _forward(self, x, y):
        self.x = x
        backend.current.leaky_relu_forward(x, self.slope, y)

    def _backward(self, g, gx):
        backend.current.leaky_relu_backward(self.x, self.slope, g, gx)


class Tanh(_Elementwise):
    type = "tanh"

    def _forward(self, x, y):
        kernels = backend.current  # the loop for small arrays, the SIMD kernel for large ones
        (kernels.tanh_forward_large if x.size >= kernels.LARGE else kernels.tanh_forward)(x, y)
        self.y = y

    def _backward(self, g, gx):
        backend.current.tanh_backward(self.y, g, gx)

    def backward_seeds(self, seeds):
        return [seeds * (1.0 - self.y * self.y)]


class Sigmoid(_Elementwise):
    type = "sigmoid"

    def _forward(self, x, y):
        kernels = backend.current  # the loop for small arrays, the SIMD kernel for large ones
        (kernels.sigmoid_forward_large if x.size >= kernels.LARGE else kernels.sigmoid_forward)(x, y)
        self.y = y

    def _backward(self, g, gx):
        backend.current.sigmoid_backward(self.y, g, gx)

    def backward_seeds(self, seeds):
        return [seeds * (self.y * (1.0 - self.y))]


class Step(_Elementwise):
    """The perceptron's threshold unit: 1 where x > 0, else 0.

    Its derivative is zero almost everywhere, so gradient descent cannot train through
    it; that is the historical point. The 'perceptron' optimizer trains a dense + step
    network with Rosenblatt's rule instead.
    """

    type = "step"
    on_device = False  # numpy's comparison: a teaching unit, never worth a GPU

    def _forward(self, x, y):
        np.greater(x, 0, out=y, casting="unsafe")

    def _backward(self, g, gx):
        gx.fill(0)

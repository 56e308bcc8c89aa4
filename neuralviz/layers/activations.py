"""Elementwise non-linearities. The loops run in the Cython module neuralviz._fused
(one pass, GIL released); backward uses the saved output where the derivative allows
(tanh' = 1 - y^2, sigmoid' = y(1 - y)), so no second transcendental call is needed."""

from __future__ import annotations

import numpy as np

from .. import _C, _fused
from .base import Layer

# Above this many elements, tanh/sigmoid go to the C++ kernels, which dispatch to AVX2 or
# AVX-512 at run time; below it the Cython loop wins on call overhead (measured: a
# 200x200 decision-boundary grid through 8 tanh units is 320k elements).
_LARGE = 16384


class _Elementwise(Layer):
    def forward(self, inputs, train):
        x = np.ascontiguousarray(inputs[0])
        y = np.empty_like(x)
        self._forward(x, y)
        return y

    def backward(self, grad_y):
        grad_y = np.ascontiguousarray(grad_y)
        grad_x = np.empty_like(grad_y)
        self._backward(grad_y, grad_x)
        return [grad_x]


class ReLU(_Elementwise):
    type = "relu"

    def _forward(self, x, y):
        _fused.relu_forward(x, y)
        self.y = y

    def _backward(self, g, gx):
        _fused.relu_backward(self.y, g, gx)


class LeakyReLU(_Elementwise):
    type = "leaky_relu"
    defaults = {"slope": 0.01}

    def build(self, rng):
        self.slope = self.float_param("slope", 0.0, 1.0)
        return self.input_shapes[0]

    def _forward(self, x, y):
        self.x = x
        _fused.leaky_relu_forward(x, self.slope, y)

    def _backward(self, g, gx):
        _fused.leaky_relu_backward(self.x, self.slope, g, gx)


class Tanh(_Elementwise):
    type = "tanh"

    def _forward(self, x, y):
        (_C.tanh_forward if x.size >= _LARGE else _fused.tanh_forward)(x, y)
        self.y = y

    def _backward(self, g, gx):
        _fused.tanh_backward(self.y, g, gx)


class Sigmoid(_Elementwise):
    type = "sigmoid"

    def _forward(self, x, y):
        (_C.sigmoid_forward if x.size >= _LARGE else _fused.sigmoid_forward)(x, y)
        self.y = y

    def _backward(self, g, gx):
        _fused.sigmoid_backward(self.y, g, gx)


class Step(_Elementwise):
    """The perceptron's threshold unit: 1 where x > 0, else 0.

    Its derivative is zero almost everywhere, so gradient descent cannot train through
    it; that is the historical point. The 'perceptron' optimizer trains a dense + step
    network with Rosenblatt's rule instead.
    """

    type = "step"

    def _forward(self, x, y):
        np.greater(x, 0, out=y, casting="unsafe")

    def _backward(self, g, gx):
        gx.fill(0)

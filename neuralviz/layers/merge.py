"""Layers that join branches of the graph: add (residual skips) and concat."""

from __future__ import annotations

import numpy as np

from .base import MAX_SIZE, Layer, is_int, show


class Add(Layer):
    type = "add"
    on_device = True
    min_inputs, max_inputs = 2, None

    def build(self, rng):
        first = self.input_shapes[0]
        if any(s != first for s in self.input_shapes[1:]):
            raise self.error("add needs inputs of the same shape")
        return first

    def forward(self, inputs, train):
        y = inputs[0].copy()
        for x in inputs[1:]:
            y += x
        return y

    def backward(self, grad_y):
        return [grad_y] * len(self.input_shapes)


class Concat(Layer):
    type = "concat"
    defaults = {"axis": 1}
    min_inputs, max_inputs = 2, None

    def build(self, rng):
        ndim = len(self.input_shapes[0])
        if not is_int(self.config["axis"]) or not 1 <= self.config["axis"] <= ndim:
            raise self.error(
                f"'axis' must be an integer in [1, {ndim}] (axis 0 is the batch), got {show(self.config['axis'])}"
            )
        axis = int(self.config["axis"])
        if any(len(s) != ndim for s in self.input_shapes):
            raise self.error("concat needs inputs with the same number of dimensions")
        k = axis - 1
        for s in self.input_shapes[1:]:
            if s[:k] + s[k + 1 :] != self.input_shapes[0][:k] + self.input_shapes[0][k + 1 :]:
                raise self.error(f"concat inputs may differ only along axis {axis}")
        self.axis = axis
        self.sizes = [s[k] for s in self.input_shapes]
        out = list(self.input_shapes[0])
        out[k] = sum(self.sizes)
        if out[k] > MAX_SIZE:
            raise self.error(f"the concatenated axis would have {out[k]:,d} entries (at most {MAX_SIZE:,d})")
        return tuple(out)

    def forward(self, inputs, train):
        return np.concatenate(inputs, axis=self.axis)

    def backward(self, grad_y):
        cuts = np.cumsum(self.sizes)[:-1]
        return np.split(grad_y, cuts, axis=self.axis)

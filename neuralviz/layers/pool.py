"""Max and average pooling over NCHW images (floor mode; stride defaults to kernel size)."""

from __future__ import annotations

import math

import numpy as np

from .. import _C
from .base import Layer


class _Pool2d(Layer):
    defaults = {"kernel_size": None, "stride": None, "padding": 0}

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 3:
            raise self.error(f"{self.type} needs image input (channels, height, width), got {shape}")
        c, h, w = shape
        self.kernel = self.pair_param("kernel_size", 1)
        self.stride = self.kernel if self.config["stride"] is None else self.pair_param("stride", 1)
        self.padding = self.pair_param("padding", 0)
        if 2 * self.padding[0] > self.kernel[0] or 2 * self.padding[1] > self.kernel[1]:
            raise self.error(f"padding {self.padding} must be at most half of kernel_size {self.kernel}")
        hp, wp = h + 2 * self.padding[0], w + 2 * self.padding[1]  # Python ints: no overflow
        if hp < self.kernel[0] or wp < self.kernel[1]:
            raise self.error(
                f"kernel_size {self.kernel} is larger than the padded input {hp}x{wp} "
                f"({h}x{w} with padding {self.padding})"
            )
        oh = (hp - self.kernel[0]) // self.stride[0] + 1
        ow = (wp - self.kernel[1]) // self.stride[1] + 1
        return (c, oh, ow)

    def workspace(self):
        return math.prod(self.output_shape)  # max pooling's int64 indices, avg pooling's window counts

    def _geometry(self):
        return (*self.kernel, *self.stride, *self.padding)


class MaxPool2d(_Pool2d):
    type = "maxpool2d"

    def forward(self, inputs, train):
        x = np.ascontiguousarray(inputs[0])
        self.x_hw = x.shape[2:]
        y, self.indices = _C.max_pool2d(x, *self._geometry())
        return y

    def backward(self, grad_y):
        return [_C.max_pool2d_backward(np.ascontiguousarray(grad_y), self.indices, *self.x_hw)]


class AvgPool2d(_Pool2d):
    type = "avgpool2d"

    def forward(self, inputs, train):
        x = np.ascontiguousarray(inputs[0])
        self.x_hw = x.shape[2:]
        return _C.avg_pool2d(x, *self._geometry())

    def backward(self, grad_y):
        return [_C.avg_pool2d_backward(np.ascontiguousarray(grad_y), *self.x_hw, *self._geometry())]

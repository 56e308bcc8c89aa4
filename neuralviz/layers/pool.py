"""Max and average pooling over NCHW images (floor mode; stride defaults to kernel size)."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..device import contiguous
from .base import Layer


class _Pool2d(Layer):
    on_device = True
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
        x = contiguous(inputs[0])
        self.x_hw = x.shape[2:]
        y, self.indices = backend.current.max_pool2d(x, *self._geometry())
        return y

    def backward(self, grad_y):
        return [backend.current.max_pool2d_backward(contiguous(grad_y), self.indices, *self.x_hw)]

    def backward_seeds(self, seeds):
        """The K seeds as one batch of K·N: the argmax indices address positions within each
        (example, channel) plane, so tiling them K times routes every seed correctly."""
        k, n = seeds.shape[:2]
        gx = backend.current.max_pool2d_backward(
            np.ascontiguousarray(seeds.reshape(k * n, *seeds.shape[2:])),
            np.ascontiguousarray(np.tile(self.indices, (k, 1, 1, 1))),
            *self.x_hw,
        )
        return [gx.reshape(k, n, *gx.shape[1:])]


class AvgPool2d(_Pool2d):
    type = "avgpool2d"

    def forward(self, inputs, train):
        x = contiguous(inputs[0])
        self.x_hw = x.shape[2:]
        return backend.current.avg_pool2d(x, *self._geometry())

    def backward(self, grad_y):
        return [backend.current.avg_pool2d_backward(contiguous(grad_y), *self.x_hw, *self._geometry())]

    def backward_seeds(self, seeds):
        """The K seeds as one batch of K·N (the window weights do not depend on the example)."""
        k, n = seeds.shape[:2]
        gx = backend.current.avg_pool2d_backward(
            np.ascontiguousarray(seeds.reshape(k * n, *seeds.shape[2:])), *self.x_hw, *self._geometry()
        )
        return [gx.reshape(k, n, *gx.shape[1:])]

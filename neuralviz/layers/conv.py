"""2-D convolution layer over NCHW images, weights (channels, C_in, kH, kW) as PyTorch."""

from __future__ import annotations

import numpy as np

from .. import _C
from .base import Layer, uniform_init


class Conv2d(Layer):
    type = "conv2d"
    defaults = {"channels": None, "kernel_size": None, "stride": 1, "padding": 0, "dilation": 1, "bias": True}

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 3:
            raise self.error(f"conv2d needs image input (channels, height, width), got {shape}")
        c, h, w = shape
        oc = self.int_param("channels")
        kh, kw = self.pair_param("kernel_size", 1)
        self.stride = self.pair_param("stride", 1)
        self.padding = self.pair_param("padding", 0)
        self.dilation = self.pair_param("dilation", 1)
        oh = (h + 2 * self.padding[0] - self.dilation[0] * (kh - 1) - 1) // self.stride[0] + 1
        ow = (w + 2 * self.padding[1] - self.dilation[1] * (kw - 1) - 1) // self.stride[1] + 1
        if oh < 1 or ow < 1:
            raise self.error(
                f"kernel {kh}x{kw} (dilation {self.dilation}) is larger than the "
                f"padded input {h}x{w} (padding {self.padding})"
            )
        fan_in = c * kh * kw
        self.weight = self.add_param("weight", uniform_init(rng, (oc, c, kh, kw), fan_in))
        self.bias = self.add_param("bias", uniform_init(rng, (oc,), fan_in)) if self.config["bias"] else None
        return (oc, oh, ow)

    def _geometry(self):
        return (*self.stride, *self.padding, *self.dilation)

    def forward(self, inputs, train):
        self.x = np.ascontiguousarray(inputs[0])
        b = self.bias.value if self.bias is not None else None
        return _C.conv2d(self.x, self.weight.value, b, *self._geometry())

    def backward(self, grad_y):
        gx, gw, gb = _C.conv2d_backward(
            self.x,
            self.weight.value,
            np.ascontiguousarray(grad_y),
            *self._geometry(),
            not self.skip_grad_x,
            True,
            self.bias is not None,
        )
        self.weight.grad += gw
        if self.bias is not None:
            self.bias.grad += gb
        return [gx]

    def flops(self):
        oc, oh, ow = self.output_shape
        return 2 * self.weight.value.size * oh * ow

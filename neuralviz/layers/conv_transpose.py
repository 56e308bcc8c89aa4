"""2-D transposed convolution over NCHW images, weights (C_in, channels, kH, kW) as PyTorch.

The adjoint of conv2d (each input pixel scatters a weighted copy of the kernel into the
output), used to grow images: a DCGAN generator or a segmentation decoder goes from 7x7 to
14x14 with kernel 4, stride 2, padding 1. Output size (H - 1)s - 2p + d(k - 1) + op + 1.
"""

from __future__ import annotations

import math

from .base import Layer, uniform
from .conv import ConvPasses


class ConvTranspose2d(ConvPasses, Layer):
    type = "conv_transpose2d"
    kernel_op = "conv_transpose2d"
    defaults = {
        "channels": None,
        "kernel_size": None,
        "stride": 1,
        "padding": 0,
        "output_padding": 0,
        "dilation": 1,
        "bias": True,
    }

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 3:
            raise self.error(f"conv_transpose2d needs image input (channels, height, width), got {shape}")
        c, h, w = shape
        oc = self.int_param("channels")
        kh, kw = self.kernel = self.pair_param("kernel_size", 1)
        self.stride = self.pair_param("stride", 1)
        self.padding = self.pair_param("padding", 0)
        self.output_padding = self.pair_param("output_padding", 0)
        self.dilation = self.pair_param("dilation", 1)
        has_bias = self.bool_param("bias")
        out = []
        for axis, size, k in ((0, h, kh), (1, w, kw)):
            s, p, op, d = self.stride[axis], self.padding[axis], self.output_padding[axis], self.dilation[axis]
            if op >= max(s, d):
                raise self.error(
                    f"output_padding {self.output_padding} must be smaller than either stride {self.stride} "
                    f"or dilation {self.dilation}"
                )
            out.append((size - 1) * s - 2 * p + d * (k - 1) + op + 1)  # Python ints: no overflow
        if min(out) < 1:
            raise self.error(
                f"the output {out[0]}x{out[1]} is empty: padding {self.padding} removes more than "
                f"kernel_size {self.kernel} with stride {self.stride} adds to the {h}x{w} input"
            )
        # PyTorch's fan-in for a transposed weight (C_in, C_out, kH, kW) is C_out * kH * kW.
        fan_in = oc * kh * kw
        self.add_param("weight", (c, oc, kh, kw), uniform(fan_in))
        self.bias = None
        if has_bias:
            self.add_param("bias", (oc,), uniform(fan_in))
        return (oc, out[0], out[1])

    def workspace(self):
        """The kernels' per-image buffers (those of the adjoint conv2d, csrc/cpu/conv_transpose.cpp):
        the zero-padded output, the im2col matrix and the padded input gradient (Python ints)."""
        c, h, w = self.input_shapes[0]
        oc, oh, ow = self.output_shape
        (kh, kw), (dh, dw), (ph, pw) = self.kernel, self.dilation, self.padding
        # the adjoint conv's output: H + op // s rows (more than H only when op >= s)
        hc, wc = (size + op // s for size, op, s in zip((h, w), self.output_padding, self.stride))
        padded = oc * (oh + 2 * ph) * (ow + 2 * pw)
        col = oc * kh * kw * hc * wc
        grad_padded = c * (hc + 2 * dh * (kh - 1)) * (wc + 2 * dw * (kw - 1))
        return padded + col + grad_padded + c * hc * wc

    def _geometry(self):
        return (*self.stride, *self.padding, *self.output_padding, *self.dilation)

    def flops(self):
        c, h, w = self.input_shapes[0]
        return 2 * math.prod(self.param_shape("weight")) * h * w

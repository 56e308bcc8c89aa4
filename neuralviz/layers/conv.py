"""2-D convolution layer over NCHW images, weights (channels, C_in, kH, kW) as PyTorch."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..device import contiguous
from .base import Layer, uniform


class ConvPasses:
    """forward, backward and backward_seeds of a layer whose passes are one backend kernel pair:
    `<kernel_op>(x, w, b, *geometry)` and `<kernel_op>_backward(x, w, grad_y, *geometry, need_x, need_w, need_b)`
    (conv2d, conv_transpose2d). The layer sets `kernel_op` and `_geometry()`, and has weight and bias."""

    kernel_op = ""
    on_device = True

    def forward(self, inputs, train):
        self.x = contiguous(inputs[0])
        b = self.bias.value if self.bias is not None else None
        return getattr(backend.current, self.kernel_op)(self.x, self.weight.value, b, *self._geometry())

    def _backward_kernel(self, grad_y, need_x: bool, need_params: bool):
        return getattr(backend.current, self.kernel_op + "_backward")(
            self.x,
            self.weight.value,
            contiguous(grad_y),
            *self._geometry(),
            need_x,
            need_params,
            need_params and self.bias is not None,
        )

    def backward(self, grad_y):
        gx, gw, gb = self._backward_kernel(grad_y, not self.skip_grad_x, True)
        self.weight.grad += gw
        if self.bias is not None:
            self.bias.grad += gb
        return [gx]

    def backward_seeds(self, seeds):
        """The kernel's x-gradient once per seed (no weight or bias gradient is computed)."""
        return [np.stack([self._backward_kernel(s, True, False)[0] for s in seeds])]


class Conv2d(ConvPasses, Layer):
    type = "conv2d"
    kernel_op = "conv2d"
    defaults = {"channels": None, "kernel_size": None, "stride": 1, "padding": 0, "dilation": 1, "bias": True}

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 3:
            raise self.error(f"conv2d needs image input (channels, height, width), got {shape}")
        c, h, w = shape
        oc = self.int_param("channels")
        kh, kw = self.kernel = self.pair_param("kernel_size", 1)
        self.stride = self.pair_param("stride", 1)
        self.padding = self.pair_param("padding", 0)
        self.dilation = self.pair_param("dilation", 1)
        has_bias = self.bool_param("bias")
        # Python ints: exact, so a huge padding or dilation cannot wrap around before the check
        hp, wp = h + 2 * self.padding[0], w + 2 * self.padding[1]
        eh, ew = self.dilation[0] * (kh - 1) + 1, self.dilation[1] * (kw - 1) + 1
        if eh > hp or ew > wp:
            raise self.error(
                f"kernel_size {kh}x{kw} (with dilation {self.dilation}: {eh}x{ew}) is larger than the "
                f"padded input {hp}x{wp} ({h}x{w} with padding {self.padding})"
            )
        oh = (hp - eh) // self.stride[0] + 1
        ow = (wp - ew) // self.stride[1] + 1
        fan_in = c * kh * kw
        self.add_param("weight", (oc, c, kh, kw), uniform(fan_in))
        self.bias = None
        if has_bias:
            self.add_param("bias", (oc,), uniform(fan_in))
        return (oc, oh, ow)

    def workspace(self):
        """The kernels' per-image buffers: the zero-padded input, the im2col matrix, and the
        padded output gradient of the direct backward (Python ints, so nothing overflows)."""
        c, h, w = self.input_shapes[0]
        oc, oh, ow = self.output_shape
        (kh, kw), (dh, dw), (ph, pw) = self.kernel, self.dilation, self.padding
        padded = c * (h + 2 * ph) * (w + 2 * pw)
        col = c * kh * kw * oh * ow
        grad_padded = oc * (oh + 2 * dh * (kh - 1)) * (ow + 2 * dw * (kw - 1))
        return padded + col + grad_padded

    def _geometry(self):
        return (*self.stride, *self.padding, *self.dilation)

    def unfold(self, seeds):
        """x as its patches (N, OH·OW, C·kH·kW) and seeds as (K, N, OH·OW, channels)."""
        k, n = seeds.shape[:2]
        return self.patches(self.x), seeds.reshape(k, n, seeds.shape[2], -1).transpose(0, 1, 3, 2)

    def patches(self, x: np.ndarray) -> np.ndarray:
        """im2col of x (N, C, H, W) with this layer's geometry: (N, OH·OW, C·kH·kW)."""
        return im2col(x, self.kernel, self.stride, self.padding, self.dilation)

    def flops(self):
        oc, oh, ow = self.output_shape
        return 2 * math.prod(self.param_shape("weight")) * oh * ow


def im2col(x: np.ndarray, kernel: tuple[int, int], stride, padding, dilation) -> np.ndarray:
    """(N, C, H, W) -> patches (N, OH·OW, C·kH·kW), columns in the weight's (c, i, j) order.

    The engine's one numpy im2col (the kernels in csrc/ keep their own, in C++, per image):
    a strided view, so the only copy is the final layout. Natural gradient reads it for the
    per-example weight gradients Σ_t δ_t x_tᵀ of a convolution.
    """
    kh, kw = kernel
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, OH, OW, kH, kW)
    n, c, oh, ow = win.shape[:4]
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(n, oh * ow, c * kh * kw)

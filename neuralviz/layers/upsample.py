"""Nearest-neighbour upsampling by an integer factor: each pixel becomes a scale_h x scale_w block.

As torch.nn.Upsample(scale_factor=s, mode="nearest") for integer s. A reshape and broadcast
forward; the backward sums each block's gradients back onto its source pixel. With a conv2d
after it, the usual alternative to conv_transpose2d for growing images (no checkerboard).
"""

from __future__ import annotations

import numpy as np

from .base import Layer


class Upsample(Layer):
    type = "upsample"
    defaults = {"scale": 2}

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 3:
            raise self.error(f"upsample needs image input (channels, height, width), got {shape}")
        c, h, w = shape
        self.scale = self.pair_param("scale", 1)
        return (c, h * self.scale[0], w * self.scale[1])

    def forward(self, inputs, train):
        x = inputs[0]
        n, c, h, w = x.shape
        sh, sw = self.scale
        blocks = np.broadcast_to(x[:, :, :, None, :, None], (n, c, h, sh, w, sw))
        return blocks.reshape(n, c, h * sh, w * sw)  # the one copy

    def backward(self, grad_y):
        return [self._fold(grad_y)]

    def backward_seeds(self, seeds):
        k, n = seeds.shape[:2]
        return [self._fold(seeds.reshape(k * n, *seeds.shape[2:])).reshape(k, n, *self.input_shapes[0])]

    def _fold(self, grad_y):
        """(N, C, H·sh, W·sw) -> (N, C, H, W): the sum over each block."""
        n, c, oh, ow = grad_y.shape
        sh, sw = self.scale
        return grad_y.reshape(n, c, oh // sh, sh, ow // sw, sw).sum(axis=(3, 5))

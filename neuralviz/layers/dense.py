"""Fully connected layer: y = x W^T + b, W of shape (units, in) as PyTorch's Linear.

Calls the active backend's kernels unvalidated: shapes and dtypes were checked when the
network was built, and the per-call validation of nv.ops would dominate for Playground-size nets.
"""

from __future__ import annotations

from .. import backend
from ..device import contiguous
from .base import Layer, uniform


class Dense(Layer):
    type = "dense"
    on_device = True
    defaults = {"units": None, "bias": True}

    def build(self, rng):
        units = self.int_param("units")
        has_bias = self.bool_param("bias")
        shape = self.input_shapes[0]
        # (features,) or, after a sequence layer, (time, features): applied per time step
        # as PyTorch's Linear. Images (C, H, W) must be flattened explicitly.
        if len(shape) not in (1, 2):
            raise self.error(
                f"dense needs (features,) or (time, features) input, got {shape}; add a 'flatten' layer before it"
            )
        fan_in = shape[-1]
        self.add_param("weight", (units, fan_in), uniform(fan_in))
        self.bias = None
        if has_bias:
            self.add_param("bias", (units,), uniform(fan_in))
        return (*shape[:-1], units)

    def forward(self, inputs, train):
        x = inputs[0]
        self.lead = x.shape[:-1]
        self.x = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        self.x = contiguous(self.x)
        y = backend.current.linear_forward(
            self.x, self.weight.value, self.bias.value if self.bias is not None else None
        )
        return y if x.ndim == 2 else y.reshape(*self.lead, y.shape[-1])  # explicit: empty batches too

    def backward(self, grad_y):
        g = contiguous(grad_y)
        if g.ndim != 2:
            g = g.reshape(-1, g.shape[-1])
        kernels = backend.current
        self.weight.grad += kernels.matmul(g, self.x, True, False)
        if self.bias is not None:
            self.bias.grad += g.sum(axis=0)
        if self.skip_grad_x:
            return [None]
        gx = kernels.matmul(g, self.weight.value, False, False)
        return [gx if grad_y.ndim == 2 else gx.reshape(*self.lead, gx.shape[-1])]

    def backward_seeds(self, seeds):
        """All K seeds in one matrix product, x-gradient only (W is held fixed)."""
        w = self.weight.value
        return [(seeds.reshape(-1, w.shape[0]) @ w).reshape(*seeds.shape[:-1], w.shape[1])]

    def unfold(self, seeds):
        """x as (N, T, in) and seeds as (K, N, T, units): T = 1, or the time steps of a sequence."""
        k, n = seeds.shape[:2]
        x = self.x.reshape(n, -1, self.x.shape[-1])
        return x, seeds.reshape(k, n, x.shape[1], -1)

    def flops(self):
        steps = self.input_shapes[0][0] if len(self.input_shapes[0]) == 2 else 1
        units, fan_in = self.param_shape("weight")
        return 2 * units * fan_in * steps

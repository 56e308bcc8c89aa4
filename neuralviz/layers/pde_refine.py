"""A learned PDE iterated with tied weights: a recurrent refinement of class score maps (issue 20).

Maggiori, Charpiat, Tarabalka & Alliez (2017), "Recurrent neural networks to correct satellite image
classification maps": a PDE u_t = f(u, image) that moves class boundaries onto the image's edges can be
written with convolutions; discretised in time (explicit Euler, step dt) and iterated K times with the
*same* weights, it is a recurrent network whose weights can be learned by backpropagation through the
iterations. Here

    u_{k+1} = u_k + dt · f(u_k, F),   f(u, F) = W_out * relu(W_u * u + W_f * F + b) + b_out

with u the (N, C, H, W) class scores (first input), F the (N, F, H, W) image features (second input, e.g.
the image itself; without it, f(u) = W_out * relu(W_u * u + b) + b_out, a PDE on the map alone), and `*` a
'same'-padded convolution of `kernel_size`. W_f * F + b does not depend on u,
so it is computed once per forward. After a forward, `history` holds u_0 (the coarse map) ... u_K (what
the layer returns): the page's slider over iterations.

detach=true passes no gradient back to either input: only the refinement learns, on top of whatever
computes the scores below it (the paper's second stage: a trained coarse CNN, fixed, and the RNN on top; see
the rnn-pde preset, whose "refined" run shares the "coarse" run's weights). The layers below then get no
backward pass at all: their gradients stay zero, so a first-order optimizer without weight decay or L1 leaves
them exactly as they are.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .base import Layer, uniform


class PdeRefine(Layer):
    type = "pde_refine"
    defaults = {"iterations": 5, "hidden": 16, "kernel_size": 3, "dt": 0.2, "detach": False}
    min_inputs, max_inputs = 1, 2

    def build(self, rng):
        scores, *features = self.input_shapes
        if any(len(s) != 3 for s in self.input_shapes):
            raise self.error("pde_refine needs image inputs: class scores (C, H, W) and optional features (F, H, W)")
        if features and scores[1:] != features[0][1:]:
            f = features[0]
            raise self.error(f"the scores' {scores[1]}x{scores[2]} and the features' {f[1]}x{f[2]} pixels differ")
        self.iterations = self.int_param("iterations", 0, 1000)
        hidden = self.int_param("hidden", 1)
        k = self.int_param("kernel_size", 1, 99)
        if k % 2 == 0:
            raise self.error(f"'kernel_size' must be odd (a 'same' padding keeps the map's size), got {k}")
        self.dt = self.float_param("dt", 0.0, 10.0, low_open=True)
        self.detach = self.bool_param("detach")
        self.kernel, self.pad = k, k // 2
        c, f = scores[0], (features[0][0] if features else 0)
        fan_in = (c + f) * k * k
        self.add_param("weight_u", (hidden, c, k, k), uniform(fan_in))
        self.weight_f = None
        if features:
            self.add_param("weight_f", (hidden, f, k, k), uniform(fan_in))
        self.add_param("bias", (hidden,), uniform(fan_in))
        self.add_param("weight_out", (c, hidden, k, k), uniform(hidden * k * k))
        self.add_param("bias_out", (c,), uniform(hidden * k * k))
        self.history: list[np.ndarray] = []
        return scores

    def _geometry(self):
        return (1, 1, self.pad, self.pad, 1, 1)

    def _conv(self, x, weight, bias=None):
        return backend.current.conv2d(np.ascontiguousarray(x), weight.value, bias, *self._geometry())

    def _drive(self, n: int) -> np.ndarray:
        """W_f * F + b (or b alone): the part of the hidden pre-activation that does not change with u."""
        if self.weight_f is not None:
            return self._conv(self.features, self.weight_f, self.bias.value)
        h, w = self.output_shape[1:]
        return np.broadcast_to(self.bias.value[None, :, None, None], (n, len(self.bias.value), h, w))

    def forward(self, inputs, train):
        u = np.ascontiguousarray(inputs[0])
        self.features = np.ascontiguousarray(inputs[1]) if len(inputs) > 1 else None
        drive = self._drive(len(u))
        self.history, self.pre = [u], []
        for _ in range(self.iterations):
            z = self._conv(u, self.weight_u) + drive
            update = self._conv(np.maximum(z, 0), self.weight_out, self.bias_out.value)
            u = u + self.dt * update
            self.pre.append(z)
            self.history.append(u)
        return u

    def _conv_backward(self, x, weight, grad_y, need_x, need_b):
        return backend.current.conv2d_backward(
            np.ascontiguousarray(x), weight.value, np.ascontiguousarray(grad_y), *self._geometry(), need_x, True, need_b
        )

    def backward(self, grad_y):
        """Backpropagation through the K iterations (newest first); the tied weights sum their gradients."""
        grad_u = np.array(grad_y, dtype=self.dtype, copy=True)
        grad_drive = np.zeros((len(grad_u), *self.bias.value.shape, *grad_u.shape[2:]), self.dtype)
        for k in reversed(range(self.iterations)):
            z = self.pre[k]
            grad_h, gw, gb = self._conv_backward(np.maximum(z, 0), self.weight_out, self.dt * grad_u, True, True)
            self.weight_out.grad += gw
            self.bias_out.grad += gb
            grad_z = grad_h * (z > 0)
            gx, gw, _ = self._conv_backward(self.history[k], self.weight_u, grad_z, True, False)
            self.weight_u.grad += gw
            grad_drive += grad_z
            grad_u += gx  # through u_k: the skip (identity) and the update's dependence on u_k
        return [None if self.detach else grad_u, *self._drive_backward(grad_drive)]

    def _drive_backward(self, grad_drive: np.ndarray) -> list[np.ndarray | None]:
        """Gradients of the bias and W_f; the features' gradient (none when detached or absent)."""
        if self.weight_f is None:
            self.bias.grad += grad_drive.sum(axis=(0, 2, 3))
            return []
        need_x = not self.detach and not self.skip_grad_x
        gx, gw, gb = self._conv_backward(self.features, self.weight_f, grad_drive, need_x, True)
        self.weight_f.grad += gw
        self.bias.grad += gb
        if self.detach:
            return [None]  # detached: the layers below get no gradient from here (nor any backward pass)
        return [gx if gx is not None else np.zeros_like(self.features)]

    def flops(self):
        c, h, w = self.output_shape
        hidden = self.param_shape("bias")[0]
        f = self.input_shapes[1][0] if len(self.input_shapes) > 1 else 0
        per_step = 2 * (hidden * c * 2) * self.kernel**2 * h * w
        return per_step * self.iterations + 2 * hidden * f * self.kernel**2 * h * w

    def workspace(self):
        """The history u_0..u_K and each iteration's hidden pre-activation, kept for the backward."""
        c, h, w = self.output_shape
        hidden = self.param_shape("bias")[0]
        return (self.iterations + 1) * (c + hidden) * h * w

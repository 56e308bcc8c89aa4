"""Recurrent layers (rnn, lstm, gru) over batch-first sequences (N, T, F).

"A feedforward net with identical weights through time": the whole sequence runs in one
kernel call of the active backend, which keeps the gate values for the backward pass, so
training pays for the forward once. The kernels are time-major, so the layer transposes at
its edges. The initial state is zero; the output is the whole sequence (N, T, H) with
return_sequences, else the last state (N, H).
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..device import contiguous, zeros
from .base import Layer, uniform


class _Recurrent(Layer):
    defaults = {"hidden": None, "return_sequences": False}
    gates = 1
    has_cell = False
    on_device = True

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 2:
            raise self.error(f"{self.type} needs sequence input (time, features), got {shape}")
        t, features = shape
        h = self.hidden = self.int_param("hidden")
        self.return_sequences = self.bool_param("return_sequences")
        g = self.gates * h
        self.add_param("weight_ih", (g, features), uniform(h), "w_ih")
        self.add_param("weight_hh", (g, h), uniform(h), "w_hh")
        self.add_param("bias_ih", (g,), uniform(h), "b_ih")
        self.add_param("bias_hh", (g,), uniform(h), "b_hh")
        return (t, h) if self.return_sequences else (h,)

    def workspace(self):
        """The gate values kept for the backward pass and the whole output sequence."""
        t = self.input_shapes[0][0]
        return t * self.hidden * (self.gates + 2 + (1 if self.has_cell else 0))

    def _weights(self):
        return self.w_ih.value, self.w_hh.value, self.b_ih.value, self.b_hh.value

    def forward(self, inputs, train):
        x = contiguous(inputs[0].transpose(1, 0, 2))  # (T, N, F)
        n = x.shape[1]
        self.x = x
        if n == 0:  # an empty batch: the kernels want at least one sequence
            self.y = None
            return zeros((0, *self.output_shape), self.dtype, like=x)
        self.h0 = zeros((n, self.hidden), self.dtype, like=x)
        out = self._run_forward(x)
        self.y, self.cache = out[0], out[-1]
        if self.return_sequences:
            return self.y.transpose(1, 0, 2)
        return out[1]

    def backward(self, grad_y):
        if self.y is None:  # the empty batch of forward
            return [zeros((0, *self.input_shapes[0]), self.dtype, like=grad_y)]
        if self.return_sequences:
            gy = contiguous(grad_y.transpose(1, 0, 2))
            g_last = None
        else:
            gy = np.zeros_like(self.y)
            g_last = contiguous(grad_y)
        grads = self._run_backward(gy, g_last)
        gx, gw_ih, gw_hh, gb_ih, gb_hh = grads[0], *grads[-4:]
        self.w_ih.grad += gw_ih
        self.w_hh.grad += gw_hh
        self.b_ih.grad += gb_ih
        self.b_hh.grad += gb_hh
        return [gx.transpose(1, 0, 2)]

    def flops(self):
        t, features = self.input_shapes[0]
        return 2 * t * self.gates * self.hidden * (features + self.hidden)


class RNN(_Recurrent):
    type = "rnn"
    gates = 1

    def _run_forward(self, x):
        return backend.current.rnn_tanh_forward(x, self.h0, *self._weights(), True)

    def _run_backward(self, gy, g_last):
        return backend.current.rnn_tanh_backward(
            self.cache, self.x, self.h0, self.w_ih.value, self.w_hh.value, self.y, gy, g_last
        )


class LSTM(_Recurrent):
    type = "lstm"
    gates = 4
    has_cell = True

    def _run_forward(self, x):
        self.c0 = self.h0.copy()
        return backend.current.lstm_forward(x, self.h0, self.c0, *self._weights(), True)

    def _run_backward(self, gy, g_last):
        return backend.current.lstm_backward(
            self.cache, self.x, self.h0, self.c0, self.w_ih.value, self.w_hh.value, self.y, gy, g_last, None
        )


class GRU(_Recurrent):
    type = "gru"
    gates = 3

    def _run_forward(self, x):
        return backend.current.gru_forward(x, self.h0, *self._weights(), True)

    def _run_backward(self, gy, g_last):
        return backend.current.gru_backward(
            self.cache, self.x, self.h0, self.w_ih.value, self.w_hh.value, self.y, gy, g_last
        )

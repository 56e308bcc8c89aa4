"""Clockwork RNN (Koutník, Greff, Gomez & Schmidhuber 2014): one recurrent layer, several time scales.

The lecture's "connect neurons across various durations": the hidden units are split into
groups (modules), group i with a period P_i (default 1, 2, 4, 8 steps). At step t (counted
from 0, so every group updates at t = 0) group i is *active* iff t mod P_i == 0:

    active:    h_t[i] = tanh(W_ih[i] x_t + W_hh[i, :] h_{t-1} + b[i])
    inactive:  h_t[i] = h_{t-1}[i]          (an identity step: the gradient passes untouched)

A slow group therefore holds its state between its updates, and the gradient reaching it from
a late loss crosses one tanh per *update*, not per step: memory for long lags. Recurrent links
run only from slower-or-equal groups to faster ones (W_hh[i, j] exists iff P_j >= P_i), so the
slow groups summarise and the fast ones read them, never the other way round.

Hidden units are split into len(periods) groups as evenly as possible (the first groups take
one more unit when `hidden` is not a multiple), periods sorted fast to slow. Only the allowed
recurrent weights are parameters: `weight_hh` is the vector of the entries W_hh[i, j] with
P_j >= P_i in row-major order (about half of an RNN's H²), scattered into the (H, H) matrix
once per pass, so the parameter count is the real one and no masked entry can drift. The
initial state is zero; the output is (T, H) with return_sequences, else the last state (H,).
Forward and backward (BPTT) run in NumPy with the backend's matmul, one product per step.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .base import Layer, is_int, show, uniform

MAX_PERIOD = 1_000_000


class Clockwork(Layer):
    type = "clockwork"
    defaults = {"hidden": None, "periods": [1, 2, 4, 8], "return_sequences": False}

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 2:
            raise self.error(f"clockwork needs sequence input (time, features), got {shape}")
        t, features = shape
        h = self.hidden = self.int_param("hidden")
        self.return_sequences = self.bool_param("return_sequences")
        self.periods = self._periods(h)
        q, r = divmod(h, len(self.periods))
        self.group_sizes = [q + 1] * r + [q] * (len(self.periods) - r)
        # group i reads groups i, i+1, ... (its own period or slower): counted, not masked, so that
        # a spec over the budget is refused before any (H, H) array exists
        allowed = sum(size * sum(self.group_sizes[i:]) for i, size in enumerate(self.group_sizes))
        self.add_param("weight_ih", (h, features), uniform(h), "w_ih")
        self.add_param("weight_hh", (allowed,), uniform(h), "w_hh")
        self.add_param("bias", (h,), uniform(h), "b")
        return (t, h) if self.return_sequences else (h,)

    def materialize(self) -> None:
        """The parameters, then the per-unit periods (H,) and the connectivity mask (H, H)."""
        super().materialize()
        self.unit_period = np.repeat(np.array(self.periods, dtype=np.int64), self.group_sizes)
        self.mask = self.unit_period[None, :] >= self.unit_period[:, None]  # [i, j]: j feeds i

    def _periods(self, hidden: int) -> list[int]:
        p = self.config["periods"]
        if not isinstance(p, (list, tuple)) or not p:
            raise self.error(f"'periods' must be a non-empty list of integers, got {show(p)}")
        if not all(is_int(v) and 1 <= v <= MAX_PERIOD for v in p):
            raise self.error(f"'periods' must hold integers in [1, {MAX_PERIOD:,d}], got {show(p)}")
        if any(b <= a for a, b in zip(p, p[1:])):
            raise self.error(f"'periods' must be strictly increasing (fast groups first), got {show(p)}")
        if len(p) > hidden:
            raise self.error(f"{len(p)} periods need at least {len(p)} hidden units (one per group), got {hidden}")
        return [int(v) for v in p]

    # ---- the clock ------------------------------------------------------------------
    def active_units(self, t: int) -> np.ndarray:
        """Boolean (H,): the units that update at step t (t from 0)."""
        return t % self.unit_period == 0

    def _schedule(self, steps: int) -> list[np.ndarray | None]:
        """Per step the active unit indices, None when every unit is active (the plain-RNN step)."""
        out = []
        for t in range(steps):
            active = self.active_units(t)
            out.append(None if active.all() else np.flatnonzero(active))
        return out

    def recurrent_matrix(self) -> np.ndarray:
        """W_hh as the (H, H) matrix, zero where a faster group would feed a slower one."""
        w = np.zeros(self.mask.shape, self.dtype)
        w[self.mask] = self.w_hh.value
        return w

    # ---- passes -----------------------------------------------------------------------
    def forward(self, inputs, train):
        x = np.ascontiguousarray(inputs[0].transpose(1, 0, 2))  # (T, N, F)
        steps, n, features = x.shape
        self.x = x
        if n == 0:
            self.states = None
            return np.zeros((0, *self.output_shape), self.dtype)
        mm = backend.current.matmul
        self.w = w = self.recurrent_matrix()
        self.schedule = self._schedule(steps)
        rows = {}  # active set -> its rows of W_hh, contiguous for the kernel
        pre = mm(x.reshape(steps * n, features), self.w_ih.value, False, True).reshape(steps, n, self.hidden)
        pre += self.b.value
        states = np.zeros((steps + 1, n, self.hidden), self.dtype)  # states[t + 1] = h_t, states[0] = h_{-1} = 0
        for t, active in enumerate(self.schedule):
            h = states[t]
            if active is None:
                states[t + 1] = np.tanh(pre[t] + mm(h, w, False, True))
                continue
            key = active.tobytes()
            if key not in rows:
                rows[key] = np.ascontiguousarray(w[active])
            nxt = states[t + 1]
            nxt[...] = h
            nxt[:, active] = np.tanh(pre[t][:, active] + mm(h, rows[key], False, True))
        self.states, self._rows = states, rows
        if self.return_sequences:
            return states[1:].transpose(1, 0, 2)
        return states[-1].copy()

    def backward(self, grad_y):
        if self.states is None:
            return [np.zeros((0, *self.input_shapes[0]), self.dtype)]
        steps, n, features = self.x.shape
        mm = backend.current.matmul
        states, w = self.states, self.w
        if self.return_sequences:
            gy = grad_y.transpose(1, 0, 2)
            dh = np.zeros((n, self.hidden), self.dtype)
        else:
            gy = None
            dh = np.array(grad_y, dtype=self.dtype)
        dpre = np.zeros((steps, n, self.hidden), self.dtype)  # ∂L/∂(pre-activation), zero where inactive
        for t in range(steps - 1, -1, -1):
            if gy is not None:
                dh = dh + gy[t]
            active = self.schedule[t]
            h = states[t + 1]
            if active is None:
                d = dpre[t]
                d[...] = dh * (1.0 - h * h)
                dh = mm(np.ascontiguousarray(d), w, False, False)
                continue
            ha = h[:, active]
            d = np.ascontiguousarray(dh[:, active] * (1.0 - ha * ha))
            dpre[t][:, active] = d
            passed = dh.copy()
            passed[:, active] = 0.0  # an active unit's old value is overwritten, not carried
            dh = passed + mm(d, self._rows[active.tobytes()], False, False)
        flat = dpre.reshape(steps * n, self.hidden)
        g_w = mm(flat, states[:-1].reshape(steps * n, self.hidden), True, False)
        self.w_hh.grad += g_w[self.mask]
        self.w_ih.grad += mm(flat, self.x.reshape(steps * n, features), True, False)
        self.b.grad += flat.sum(axis=0)
        if self.skip_grad_x:
            return [None]
        gx = mm(flat, self.w_ih.value, False, False).reshape(steps, n, features)
        return [gx.transpose(1, 0, 2)]

    # ---- sizes ------------------------------------------------------------------------
    def workspace(self):
        """The states kept for the backward pass and the pre-activation gradients."""
        t = self.input_shapes[0][0]
        return 3 * (t + 1) * self.hidden

    def flops(self):
        t, features = self.input_shapes[0]
        return 2 * t * self.hidden * (features + self.hidden)

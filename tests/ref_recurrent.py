"""Plain numpy reference for the recurrent kernels: forward and backpropagation through time.

Written for clarity, one time step at a time, straight from the formulas (PyTorch's layouts
and gate orders; see research/conventions_and_build.md §3.2-3.4). The tests use it as the
oracle for nv.ops.rnn_tanh / lstm / gru and their backwards; layer tests may reuse it.

Shapes: x (T, N, I) time-major, h0 / c0 (N, H), w_ih (G*H, I), w_hh (G*H, H), biases (G*H,),
with G = 1 (tanh RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n). All functions compute in the
dtype of their inputs; pass float64 arrays for an accurate oracle.

Each *_backward takes the upstream gradients grad_y (T, N, H) and optionally grad_hT
(and grad_cT) and returns the gradients in the order of nv.ops:
    rnn_tanh / gru: (grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)
    lstm:           (grad_x, grad_h0, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)
"""

from __future__ import annotations

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _zeros_like_or(g, like):
    return np.zeros_like(like) if g is None else np.array(g, dtype=like.dtype)


# ---------------------------------------------------------------------- tanh RNN


def rnn_tanh_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh). Returns (y, h_T)."""
    h = h0
    ys = []
    for x_t in x:
        h = np.tanh(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        ys.append(h)
    y = np.stack(ys) if ys else np.zeros((0,) + h0.shape, h0.dtype)
    return y, h


def rnn_tanh_backward(x, h0, w_ih, w_hh, b_ih, b_hh, grad_y, grad_hT=None):
    y, _ = rnn_tanh_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    g = _Grads(x, h0, w_ih, w_hh)
    dh = _zeros_like_or(grad_hT, h0)
    for t in reversed(range(len(x))):
        h_prev = y[t - 1] if t else h0
        da = (dh + grad_y[t]) * (1 - y[t] ** 2)
        g.add_step(t, da, da, h_prev)
        dh = da @ w_hh
    return g.result(dh)


# ---------------------------------------------------------------------- LSTM


def _lstm_steps(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Forward, keeping (i, f, g, o, c_t) of every step for the backward."""
    H = h0.shape[1]
    h, c = h0, c0
    ys, saved = [], []
    for x_t in x:
        a = x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i = sigmoid(a[:, :H])
        f = sigmoid(a[:, H : 2 * H])
        g = np.tanh(a[:, 2 * H : 3 * H])
        o = sigmoid(a[:, 3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
        ys.append(h)
        saved.append((i, f, g, o, c))
    y = np.stack(ys) if ys else np.zeros((0,) + h0.shape, h0.dtype)
    return y, h, c, saved


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Returns (y, h_T, c_T)."""
    y, h, c, _ = _lstm_steps(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    return y, h, c


def lstm_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, grad_y, grad_hT=None, grad_cT=None):
    y, _, _, saved = _lstm_steps(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    g = _Grads(x, h0, w_ih, w_hh)
    dh = _zeros_like_or(grad_hT, h0)
    dc = _zeros_like_or(grad_cT, c0)
    for t in reversed(range(len(x))):
        i, f, gg, o, c = saved[t]
        c_prev = saved[t - 1][4] if t else c0
        h_prev = y[t - 1] if t else h0
        dh = dh + grad_y[t]
        tc = np.tanh(c)
        dc = dc + dh * o * (1 - tc**2)
        da = np.concatenate(
            [dc * gg * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - gg**2), dh * tc * o * (1 - o)], axis=1
        )
        g.add_step(t, da, da, h_prev)
        dh = da @ w_hh
        dc = dc * f
    gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh = g.result(dh)
    return gx, gh0, dc, gw_ih, gw_hh, gb_ih, gb_hh


# ---------------------------------------------------------------------- GRU


def _gru_steps(x, h0, w_ih, w_hh, b_ih, b_hh):
    """Forward, keeping (r, z, n, hn) of every step; hn = h_{t-1} W_hn^T + b_hn."""
    H = h0.shape[1]
    h = h0
    ys, saved = [], []
    for x_t in x:
        gi = x_t @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        hn = gh[:, 2 * H :]
        n = np.tanh(gi[:, 2 * H :] + r * hn)  # reset applied after W_hn, b_hn inside
        h = (1 - z) * n + z * h
        ys.append(h)
        saved.append((r, z, n, hn))
    y = np.stack(ys) if ys else np.zeros((0,) + h0.shape, h0.dtype)
    return y, h, saved


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    """Returns (y, h_T)."""
    y, h, _ = _gru_steps(x, h0, w_ih, w_hh, b_ih, b_hh)
    return y, h


def gru_backward(x, h0, w_ih, w_hh, b_ih, b_hh, grad_y, grad_hT=None):
    y, _, saved = _gru_steps(x, h0, w_ih, w_hh, b_ih, b_hh)
    g = _Grads(x, h0, w_ih, w_hh)
    dh = _zeros_like_or(grad_hT, h0)
    for t in reversed(range(len(x))):
        r, z, n, hn = saved[t]
        h_prev = y[t - 1] if t else h0
        dh = dh + grad_y[t]
        dan = dh * (1 - z) * (1 - n**2)
        dar = dan * hn * r * (1 - r)
        daz = dh * (h_prev - n) * z * (1 - z)
        d_gi = np.concatenate([dar, daz, dan], axis=1)
        d_gh = np.concatenate([dar, daz, dan * r], axis=1)
        g.add_step(t, d_gi, d_gh, h_prev)
        dh = dh * z + d_gh @ w_hh
    return g.result(dh)


# ---------------------------------------------------------------------- shared


class _Grads:
    """Accumulates the input, weight and bias gradients over the steps of one backward."""

    def __init__(self, x, h0, w_ih, w_hh):
        self.gx = np.zeros_like(x)
        self.gw_ih = np.zeros_like(w_ih)
        self.gw_hh = np.zeros_like(w_hh)
        self.gb_ih = np.zeros(w_ih.shape[0], x.dtype)
        self.gb_hh = np.zeros(w_hh.shape[0], x.dtype)
        self.x, self.w_ih = x, w_ih

    def add_step(self, t, d_gi, d_gh, h_prev):
        """d_gi / d_gh: gradients of x_t W_ih^T + b_ih and of h_{t-1} W_hh^T + b_hh."""
        self.gx[t] = d_gi @ self.w_ih
        self.gw_ih += d_gi.T @ self.x[t]
        self.gw_hh += d_gh.T @ h_prev
        self.gb_ih += d_gi.sum(axis=0)
        self.gb_hh += d_gh.sum(axis=0)

    def result(self, gh0):
        return self.gx, gh0, self.gw_ih, self.gw_hh, self.gb_ih, self.gb_hh


FORWARD = {"rnn_tanh": rnn_tanh_forward, "lstm": lstm_forward, "gru": gru_forward}
BACKWARD = {"rnn_tanh": rnn_tanh_backward, "lstm": lstm_backward, "gru": gru_backward}
GATES = {"rnn_tanh": 1, "lstm": 4, "gru": 3}

"""A recurrent layer unrolled over one sequence, in numpy: hidden states, gates, and ‖∂L/∂h_t‖ through time.

The layer's kernels run a whole batch of sequences in one call and keep their gate values private; the app's
sequence page needs them for the one example it shows, step by step. So this module recomputes that one
example in float64 numpy from the layer's weights (PyTorch's gate order: LSTM rows i, f, g, o; GRU rows r, z, n,
the GRU's reset gate applied to W_hn h + b_hn), and backpropagates through time by hand to get the gradient
reaching every hidden state: a plain RNN's norms shrink geometrically towards the first step (vanishing
gradients), an LSTM's cell path keeps them up.

    found = recurrent_layers(net)                    # [(layer id, layer), ...] of type rnn / lstm / gru
    p = probe(net, "lstm", x, y, "mse")              # x: (T, F) one sequence, y: its target
    p.unrolled.hidden (T, H), p.unrolled.gates {"input": (T, H), ...}, p.grad_norms (T,), p.loss

No Qt here: the worker thread calls it, and the tests check it against autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import losses

KINDS = ("rnn", "lstm", "gru")
GATE_NAMES = {
    "rnn": (),
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
}


@dataclass
class Weights:
    """A recurrent layer's four parameters, float64: w_ih (G·H, F), w_hh (G·H, H), b_ih, b_hh (G·H,)."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    @classmethod
    def of(cls, layer) -> Weights:
        return cls(*(np.array(p.value, dtype=np.float64) for p in (layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh)))


@dataclass
class Unrolled:
    """One sequence through the cell: x (T, F) its input, hidden (T, H) the state after each step, cell (T, H)
    for an LSTM (else None), gates name -> (T, H) activations (GATE_NAMES order)."""

    kind: str
    x: np.ndarray
    hidden: np.ndarray
    cell: np.ndarray | None
    gates: dict[str, np.ndarray]


@dataclass
class Probe:
    """What the sequence page shows of one example: the unrolled layer, the network's prediction and the
    target, the example's loss, and grad_norms (T,) = ‖∂L/∂h_t‖ (total derivative, through every later step)."""

    layer_id: str
    unrolled: Unrolled
    prediction: np.ndarray
    target: np.ndarray
    loss: float
    grad_norms: np.ndarray


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # never overflows


def recurrent_layers(net) -> list[tuple[str, object]]:
    """(layer id, layer) of every rnn / lstm / gru layer, in network order."""
    return [(e["id"], net.layers[e["id"]]) for e in net.order if net.layers[e["id"]].type in KINDS]


def _check(kind: str, w: Weights, x: np.ndarray) -> np.ndarray:
    if kind not in KINDS:
        raise ValueError(f"unroll: kind must be one of {', '.join(KINDS)}, got {kind!r:.40}")
    x = np.asarray(x, dtype=np.float64)
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    if x.ndim != 2 or w.w_ih.ndim != 2 or x.shape[1] != w.w_ih.shape[1] or w.w_ih.shape[0] != gates * w.w_hh.shape[1]:
        raise ValueError(
            f"unroll: a {kind} with w_ih {w.w_ih.shape} and w_hh {w.w_hh.shape} cannot read a sequence of shape "
            f"{x.shape} (need (T, {w.w_ih.shape[1]}))"
        )
    return x


def unroll(kind: str, w: Weights, x: np.ndarray) -> Unrolled:
    """Run one sequence x (T, F) through the cell from a zero state (as the layer does)."""
    x = _check(kind, w, x)
    t_len, h_dim = len(x), w.w_hh.shape[1]
    h = np.zeros(h_dim)
    c = np.zeros(h_dim)
    hidden, cells = np.zeros((t_len, h_dim)), np.zeros((t_len, h_dim))
    names = GATE_NAMES[kind]
    gates = {n: np.zeros((t_len, h_dim)) for n in names}
    a_x = x @ w.w_ih.T + w.b_ih  # (T, G·H): the input's share of every gate, all steps at once
    for t in range(t_len):
        a_h = w.w_hh @ h + w.b_hh
        if kind == "rnn":
            h = np.tanh(a_x[t] + a_h)
        elif kind == "lstm":
            a = (a_x[t] + a_h).reshape(4, h_dim)
            i, f, g, o = _sigmoid(a[0]), _sigmoid(a[1]), np.tanh(a[2]), _sigmoid(a[3])
            c = f * c + i * g
            h = o * np.tanh(c)
            vals = (i, f, g, o)
        else:
            ax, ah = a_x[t].reshape(3, h_dim), a_h.reshape(3, h_dim)
            r, z = _sigmoid(ax[0] + ah[0]), _sigmoid(ax[1] + ah[1])
            n = np.tanh(ax[2] + r * ah[2])
            h = (1.0 - z) * n + z * h
            vals = (r, z, n)
        hidden[t], cells[t] = h, c
        for name, v in zip(names, vals if names else ()):
            gates[name][t] = v
    return Unrolled(kind, x, hidden, cells if kind == "lstm" else None, gates)


def state_gradients(u: Unrolled, w: Weights, grad_out: np.ndarray) -> np.ndarray:
    """(T, H): ∂L/∂h_t for every step, by backpropagation through time; grad_out (T, H) is ∂L/∂h_t taken
    directly (row T-1 alone for a layer that outputs its last state), the recurrence adds every later step's
    share."""
    grad_out = np.asarray(grad_out, dtype=np.float64)
    if grad_out.shape != u.hidden.shape:
        raise ValueError(
            f"state_gradients: grad_out must have the hidden states' shape {u.hidden.shape}, got {grad_out.shape}"
        )
    t_len, h_dim = u.hidden.shape
    out = np.zeros_like(u.hidden)
    dh = grad_out[-1].copy()
    dc = np.zeros(h_dim)
    zero = np.zeros(h_dim)
    for t in range(t_len - 1, -1, -1):
        out[t] = dh
        h_prev = u.hidden[t - 1] if t > 0 else zero
        if u.kind == "rnn":
            da = dh * (1.0 - u.hidden[t] ** 2)
            dh_prev = w.w_hh.T @ da
        elif u.kind == "lstm":
            dh_prev, dc = _lstm_step_back(u, w, t, dh, dc)
        else:
            dh_prev = _gru_step_back(u, w, t, dh, h_prev)
        if t > 0:
            dh = dh_prev + grad_out[t - 1]
    return out


def _lstm_step_back(u: Unrolled, w: Weights, t: int, dh: np.ndarray, dc_next: np.ndarray):
    g = u.gates
    i, f, cand, o = g["input"][t], g["forget"][t], g["candidate"][t], g["output"][t]
    c_prev = u.cell[t - 1] if t > 0 else np.zeros_like(i)
    tc = np.tanh(u.cell[t])
    dc = dc_next + dh * o * (1.0 - tc**2)
    da = np.concatenate(
        [dc * cand * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - cand**2), dh * tc * o * (1 - o)]
    )
    return w.w_hh.T @ da, dc * f


def _gru_step_back(u: Unrolled, w: Weights, t: int, dh: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    g = u.gates
    r, z, n = g["reset"][t], g["update"][t], g["candidate"][t]
    h_dim = len(r)
    w_hr, w_hz, w_hn = w.w_hh[:h_dim], w.w_hh[h_dim : 2 * h_dim], w.w_hh[2 * h_dim :]
    hn = w_hn @ h_prev + w.b_hh[2 * h_dim :]
    dan = dh * (1.0 - z) * (1.0 - n**2)
    dar = dan * hn * r * (1.0 - r)
    daz = dh * (h_prev - n) * z * (1.0 - z)
    return dh * z + w_hr.T @ dar + w_hz.T @ daz + w_hn.T @ (dan * r)


def _loss_fn(loss: str | Callable) -> Callable:
    fn = losses.get(loss) if isinstance(loss, str) else loss
    if not callable(fn):
        raise TypeError(f"probe: loss must be a loss name or a callable, got {type(loss).__name__}")
    return fn


def probe(net, layer_id: str, x: np.ndarray, y: np.ndarray, loss: str | Callable) -> Probe:
    """The recurrent layer `layer_id` of `net` on one example x (the network's input shape) with target y.

    The network's own forward and backward give the layer's input and ∂L/∂(its output); the cell is then
    unrolled here. Parameter gradients are left as they were (scratch arrays, as nv.analysis does)."""
    layer = net.layers.get(layer_id)
    if layer is None or layer.type not in KINDS:
        raise ValueError(f"probe: {layer_id!r:.60} is not an rnn/lstm/gru layer of this network")
    x, y = np.asarray(x), np.asarray(y)
    params = net.parameters()
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = np.zeros(p.value.shape, p.value.dtype)
        out = net.forward(x[None], train=False)
        value, grad = _loss_fn(loss)(out, y[None])
        seq_in = np.array(layer.x[:, 0, :], dtype=np.float64)  # the layer keeps its (T, N, F) input
        net.backward(grad, keep_grads=True, input_grad=False)
        g = np.asarray(net.output_grads[layer_id][0], dtype=np.float64)
    finally:
        for p, s in zip(params, saved):
            p.grad = s
    w = Weights.of(layer)
    u = unroll(layer.type, w, seq_in)
    if g.ndim == 1:  # the layer hands on its last state only
        g_seq = np.zeros_like(u.hidden)
        g_seq[-1] = g
    else:
        g_seq = g
    norms = np.linalg.norm(state_gradients(u, w, g_seq), axis=1)
    return Probe(layer_id, u, np.array(out[0], dtype=np.float64), np.array(y, dtype=np.float64), float(value), norms)

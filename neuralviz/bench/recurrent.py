"""Recurrent kernels: forward + backward over a whole sequence, float32, single thread.

Ours: the cached pair a layer uses (nv.ops.<cell>_forward_cached, then
nv.ops.<cell>_backward_cached), timed at the Python call level, wrappers included.
Peer: torch.nn.RNN / LSTM / GRU forward plus autograd backward of a random upstream gradient
on y, with gradients for x, h0 (c0) and all four parameters, like ours.

Run alone with `python -m neuralviz.bench kernels --only rnn_tanh` (or lstm / gru).
"""

from __future__ import annotations

import numpy as np

import neuralviz as nv

from ._harness import Case, torch_or_none

# (label, T, N, I, H)
SHAPES = [("seq50 b32 i16 h128", 50, 32, 16, 128), ("tiny seq100 b1 i1 h32", 100, 1, 1, 32)]
GATES = {"rnn_tanh": 1, "lstm": 4, "gru": 3}
TARGETS = {
    ("lstm", 0): "<= 1.5x torch (stretch 1.1x)",
    ("gru", 0): "<= 0.5x torch",
    ("rnn_tanh", 0): "<= 0.5x torch",
    ("lstm", 1): "< 1x torch",
    ("gru", 1): "<= 0.1x torch",
    ("rnn_tanh", 1): "<= 0.1x torch",
}


def _problem(cell: str, T: int, N: int, I: int, H: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    k = 1 / np.sqrt(H)

    def u(*shape):
        return rng.uniform(-k, k, shape).astype(np.float32)

    return {
        "x": rng.standard_normal((T, N, I)).astype(np.float32),
        "h0": rng.standard_normal((N, H)).astype(np.float32),
        "c0": rng.standard_normal((N, H)).astype(np.float32),
        "w_ih": u(G * H, I),
        "w_hh": u(G * H, H),
        "b_ih": u(G * H),
        "b_hh": u(G * H),
        "grad_y": rng.standard_normal((T, N, H)).astype(np.float32),
    }


def _ours(cell: str, p: dict):
    ops = nv.ops
    w = (p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    if cell == "lstm":

        def run():
            y, _, _, cache = ops.lstm_forward_cached(p["x"], p["h0"], p["c0"], *w)
            return ops.lstm_backward_cached(cache, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], y, p["grad_y"])
    else:
        forward = getattr(ops, f"{cell}_forward_cached")
        backward = getattr(ops, f"{cell}_backward_cached")

        def run():
            y, _, cache = forward(p["x"], p["h0"], *w)
            return backward(cache, p["x"], p["h0"], p["w_ih"], p["w_hh"], y, p["grad_y"])

    return run


def _torch(cell: str, p: dict):
    torch = torch_or_none()
    if torch is None:
        return None
    I, H = p["x"].shape[2], p["h0"].shape[1]
    if cell == "lstm":
        module = torch.nn.LSTM(I, H)
    elif cell == "gru":
        module = torch.nn.GRU(I, H)
    else:
        module = torch.nn.RNN(I, H, nonlinearity="tanh")
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            torch_name = {"w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}[
                name
            ]
            getattr(module, torch_name).copy_(torch.from_numpy(p[name]))
    x = torch.from_numpy(p["x"]).requires_grad_()
    h0 = torch.from_numpy(p["h0"])[None].clone().requires_grad_()
    c0 = torch.from_numpy(p["c0"])[None].clone().requires_grad_()
    gy = torch.from_numpy(p["grad_y"])
    wrt = [x, h0] + ([c0] if cell == "lstm" else []) + list(module.parameters())

    def run():
        y, _ = module(x, (h0, c0) if cell == "lstm" else h0)
        return torch.autograd.grad(y, wrt, grad_outputs=gy)

    return run


def _flops(cell: str, T: int, N: int, I: int, H: int) -> float:
    # forward: x W_ih^T + h W_hh^T; backward: dh = dG W_hh, dW_hh, dW_ih, dX.
    return 2.0 * T * N * GATES[cell] * H * 3 * (I + H)


def cases(quick: bool = False) -> list[Case]:
    out = []
    for shape_index, (label, T, N, I, H) in enumerate(SHAPES):
        for cell in ("lstm", "gru", "rnn_tanh"):
            p = _problem(cell, T, N, I, H)
            out.append(
                Case(
                    name=f"{cell} fwd+bwd {label}",
                    ours=_ours(cell, p),
                    peer="torch",
                    theirs=_torch(cell, p),
                    flops=_flops(cell, T, N, I, H),
                    target=TARGETS[(cell, shape_index)],
                )
            )
    return out

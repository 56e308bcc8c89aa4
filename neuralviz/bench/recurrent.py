"""Recurrent kernels: forward + backward over a whole sequence, float32, single thread.

Ours: the cached pair a layer uses (nv.ops.<cell>_forward_cached, then
nv.ops.<cell>_backward_cached), timed at the Python call level, wrappers included.
Peer: torch.nn.RNN / LSTM / GRU forward plus autograd backward of a random upstream gradient
on y, with gradients for x, h0 (c0) and all four parameters, like ours.
Each row first checks y and every gradient against torch's, or without torch y against a
float64 numpy forward and each gradient along a random direction against its derivative.

Run alone with `python -m neuralviz.bench kernels --only rnn_tanh` (or lstm / gru).

Peak memory (report(), after the timed rows): the extra resident memory of one LSTM step,
forward + backward at T50 N32 I16 H128 (MEMORY_SHAPE), ours beside torch's. Each side runs in a
fresh process with glibc's mmap threshold fixed (MALLOC_MMAP_THRESHOLD_), so a freed buffer
goes back to the system instead of hiding in a malloc arena; after one warm-up step (lazy
initialisation, thread-local GEMM packing buffers, oneDNN's JIT code) the kernel's peak-RSS
counter is reset (/proc/self/clear_refs), one step runs, and the row is VmHWM minus the RSS
before it: the step's workspace plus its outputs (y and every gradient, the same on both
sides). Linux only; elsewhere the table says why it is missing.
"""

from __future__ import annotations

import numpy as np

import neuralviz as nv

from . import _memory
from ._harness import Case, torch_or_none

# (label, T, N, I, H)
SHAPES = [("seq50 b32 i16 h128", 50, 32, 16, 128), ("tiny seq100 b1 i1 h32", 100, 1, 1, 32)]
GATES = {"rnn_tanh": 1, "lstm": 4, "gru": 3}
TARGETS = {
    ("lstm", 0): "<= 1.0x torch",  # issue 22 (was <= 1.5x)
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
    """Our forward + backward; returns (y, grad_x, grad_h0[, grad_c0], grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)."""
    ops = nv.ops
    w = (p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    if cell == "lstm":

        def run():
            y, _, _, cache = ops.lstm_forward_cached(p["x"], p["h0"], p["c0"], *w)
            grads = ops.lstm_backward_cached(cache, p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], y, p["grad_y"])
            return (y, *grads)
    else:
        forward = getattr(ops, f"{cell}_forward_cached")
        backward = getattr(ops, f"{cell}_backward_cached")

        def run():
            y, _, cache = forward(p["x"], p["h0"], *w)
            return (y, *backward(cache, p["x"], p["h0"], p["w_ih"], p["w_hh"], y, p["grad_y"]))

    return run


def _torch(cell: str, p: dict):
    """torch's forward + autograd backward, returning what _ours returns (h0/c0 grads shaped (1, N, H))."""
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
        return (y, *torch.autograd.grad(y, wrt, grad_outputs=gy))

    return run


def _flops(cell: str, T: int, N: int, I: int, H: int) -> float:
    # forward: x W_ih^T + h W_hh^T; backward: dh = dG W_hh, dW_hh, dW_ih, dX.
    return 2.0 * T * N * GATES[cell] * H * 3 * (I + H)


RNN_RTOL = 1e-4  # float32 over T steps against torch (or a float64 reference); atol scales with each output's rms
FD_STEP = 1e-5  # central differences of the float64 reference: truncation ~1e-10, rounding ~1e-11 relative


def _inputs(cell: str) -> tuple[str, ...]:
    """The inputs the backward returns gradients for, in its order (and torch's)."""
    return ("x", "h0") + (("c0",) if cell == "lstm" else ()) + ("w_ih", "w_hh", "b_ih", "b_hh")


def _check(case: Case, cell: str, p: dict) -> None:
    """Every output against torch's where torch is installed, else _check_numpy."""
    from ._harness import check_close

    got = case.ours()
    if case.theirs is None:
        _check_numpy(case.name, cell, p, got)
        return
    for part, o, r in zip(("y", *(f"grad_{n}" for n in _inputs(cell))), got, case.theirs()):
        r = r.detach().numpy().reshape(o.shape).astype(np.float64)
        check_close(f"{case.name}: {part}", o, r, RNN_RTOL, RNN_RTOL * np.sqrt(np.mean(r * r)))


def _check_numpy(name: str, cell: str, p: dict, got) -> None:
    """Without torch: y against _numpy_forward, and each gradient along a random direction v
    against the float64 reference's derivative along v. atol is RNN_RTOL * |grad|, the typical
    size of grad . v for v of unit-variance entries."""
    from ._harness import check_close

    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    y_ref = _numpy_forward(cell, p64)
    check_close(f"{name}: y", got[0], y_ref, RNN_RTOL, RNN_RTOL * np.sqrt(np.mean(y_ref**2)))
    rng = np.random.default_rng(1)
    for part, grad in zip(_inputs(cell), got[1:]):
        v = rng.standard_normal(grad.shape)
        fd = _derivative_along(cell, p64, part, v)
        check_close(f"{name}: grad_{part} . v", np.vdot(grad, v), fd, RNN_RTOL, RNN_RTOL * np.linalg.norm(grad))


def _derivative_along(cell: str, p64: dict, part: str, v: np.ndarray) -> float:
    """d/ds of L = sum(grad_y * y) at p64[part] + s*v, by central differences of _numpy_forward."""
    loss = [np.vdot(p64["grad_y"], _numpy_forward(cell, {**p64, part: p64[part] + s * v})) for s in (FD_STEP, -FD_STEP)]
    return (loss[0] - loss[1]) / (2 * FD_STEP)


def _numpy_forward(cell: str, p: dict) -> np.ndarray:
    """y (T, N, H) of the cell in float64, PyTorch's gate order: the reference without torch."""
    h, c, ys = p["h0"], p["c0"], []
    for x_t in p["x"]:
        h, c = _numpy_step(cell, x_t @ p["w_ih"].T + p["b_ih"], h @ p["w_hh"].T + p["b_hh"], h, c)
        ys.append(h)
    return np.stack(ys)


def _numpy_step(cell: str, gi: np.ndarray, gh: np.ndarray, h: np.ndarray, c: np.ndarray):
    """(h, c) after one step from the input and hidden projections gi, gh (biases included)."""

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    if cell == "rnn_tanh":
        return np.tanh(gi + gh), c
    if cell == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c
    (ir, iz, i_n), (hr, hz, h_n) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = sigmoid(ir + hr), sigmoid(iz + hz)
    return (1 - z) * np.tanh(i_n + r * h_n) + z * h, c


def cases(quick: bool = False) -> list[Case]:
    out = []
    for shape_index, (label, T, N, I, H) in enumerate(SHAPES):
        for cell in ("lstm", "gru", "rnn_tanh"):
            p = _problem(cell, T, N, I, H)
            case = Case(
                name=f"{cell} fwd+bwd {label}",
                ours=_ours(cell, p),
                peer="torch",
                theirs=_torch(cell, p),
                flops=_flops(cell, T, N, I, H),
                target=TARGETS[(cell, shape_index)],
            )
            case.check = lambda case=case, cell=cell, p=p: _check(case, cell, p)
            out.append(case)
    return out


# ---------------------------------------------------------------- peak memory (report)

MEMORY_SHAPE = (50, 32, 16, 128)  # T, N, I, H of the LSTM step whose peak memory is reported


def measure_peak_child(who: str) -> None:
    """Child process of _memory.peak_memory: prints {"bytes": n} for one LSTM step of `who`."""
    p = _problem("lstm", *MEMORY_SHAPE)
    if who == "torch":
        torch = torch_or_none()
        torch.set_num_threads(1)
        step = _torch("lstm", p)
    else:
        nv.set_num_threads(1)
        step = _ours("lstm", p)
    _memory.print_child_result(step)


def ours_workspace_bytes(T: int, N: int, I: int, H: int) -> int:
    """The sum of what our LSTM step allocates, counted from the kernels (float32): the
    forward's cache (gates 4H and cell H per row), y, hT and cT; the backward's dgates, its
    packed step weights [W_hh | W_ih] and step output, the transposed dW_hh; and the gradients.
    An upper bound for the measured row (not all of it is alive at once; the GEMM's
    thread-local packing buffers are not counted), as its cross-check."""
    G = 4 * H
    floats = T * N * 5 * H + T * N * H + 2 * N * H  # forward
    floats += T * N * G + G * (H + I) + N * (H + I) + G * H  # backward workspace
    floats += T * N * I + 2 * N * H + G * (I + H) + 2 * G  # gradients
    return 4 * floats


def report() -> None:
    """Prints the peak-memory table: one LSTM step (forward + backward), ours beside torch's."""
    T, N, I, H = MEMORY_SHAPE
    print(f"[kernels/recurrent] peak memory, one LSTM step (fwd+bwd) T{T} N{N} I{I} H{H}, float32")
    if not _memory.available():
        print("  not measured: needs Linux's /proc/self/clear_refs\n")
        return
    ours = _memory.peak_memory("recurrent", "ours")
    line = f"  ours {ours / 2**20:7.2f} MiB (counted buffers {ours_workspace_bytes(T, N, I, H) / 2**20:.2f} MiB)"
    if torch_or_none() is None:
        print(f"{line}; torch not installed\n")
        return
    theirs = _memory.peak_memory("recurrent", "torch")
    print(f"{line}   torch {theirs / 2**20:7.2f} MiB   ratio {ours / theirs:5.2f}x  target {_memory.TARGET}\n")

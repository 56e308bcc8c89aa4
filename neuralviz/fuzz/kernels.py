"""Fuzz cases for the kernels: nv.ops and the raw neuralviz._C functions (issue 14).

Each case picks one kernel and calls it with arguments drawn to be odd: zero, negative and
huge sizes, strides, paddings and dilations (up to 2**64), arrays of other dtypes and layouts
(non-contiguous views, zero-size arrays whose other dimensions are huge) and mismatched
shapes, mixed with plausible ones so that valid calls run too. A call must raise
ValueError/TypeError or return arrays of the shape the formulas give (computed here with
Python ints), with finite values; anything else raises AssertionError, an unclear outcome.
Huge values start at 2**36, where a call they make valid needs more memory than any machine
has and must be refused rather than run for minutes.
"""

from __future__ import annotations

import numpy as np

from .. import _C, ops

HUGE = (2**36, 2**40, 2**47, 2**62, 2**63 - 1, 2**63, 2**64, -(2**63))
ODD_DTYPES = (np.int64, np.int32, np.float16, np.bool_, np.complex64)


# ------------------------------------------------------------------ drawing arguments
def _int(rng, lo: int, hi: int) -> int:
    """Mostly an int in [lo, hi]; sometimes 0, negative or huge."""
    r = rng.random()
    if r < 0.08:
        return int(rng.choice(HUGE))
    if r < 0.14:
        return int(rng.choice((0, -1, -2)))
    return int(rng.integers(lo, hi + 1))


def _geo(rng, lo: int, hi: int):
    """An ops-style geometry argument: an int, an (h, w) pair, or sometimes junk."""
    r = rng.random()
    if r < 0.04:
        return [None, 1.5, "2", (1, 2, 3), True, np.int64(2)][rng.integers(6)]
    return _int(rng, lo, hi) if r < 0.6 else (_int(rng, lo, hi), _int(rng, lo, hi))


def _array(rng, shape, dtype, raw: bool = False) -> np.ndarray:
    """Normal values in `shape`; sometimes another dtype, a non-contiguous view, or zero-size
    with a huge other dimension (always so when `shape` asks for a huge one). raw: mostly
    what the strict _C bindings accept."""
    shape, odd = [min(max(int(d), 0), HUGE[2]) for d in shape], 0.02 if raw else 0.08
    huge = [i for i, d in enumerate(shape) if d > 64]
    if not huge and len(shape) >= 2 and rng.random() < odd:
        huge = [int(rng.integers(len(shape)))]
        shape[huge[0]] = int(rng.choice(HUGE[:3]))
    if huge:  # keep one huge dimension, empty another: numpy allows that, memory holds it
        shape = [d if i == huge[0] else min(d, 64) for i, d in enumerate(shape)]
        shape[(huge[0] + 1) % len(shape) if len(shape) > 1 else 0] = 0
        return np.empty(shape, dtype)
    if rng.random() < odd:
        dtype = ODD_DTYPES[rng.integers(len(ODD_DTYPES))]
    a = rng.standard_normal(shape).astype(dtype)
    if rng.random() < 2 * odd and a.ndim >= 1:  # same values, every other element of a buffer
        big = np.zeros((*shape[:-1], 2 * shape[-1]), dtype)
        big[..., ::2] = a
        a = big[..., ::2]
    return a


def _dims(rng, n: int, hi: int = 5) -> list[int]:
    return [int(rng.integers(1, hi + 1)) if rng.random() > 0.05 else 0 for _ in range(n)]


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


# ------------------------------------------------------------------ checking results
def _check(out, shape) -> None:
    if not isinstance(out, np.ndarray):
        raise AssertionError(f"returned {type(out).__name__}, not an array")
    if out.shape != tuple(shape):
        raise AssertionError(f"returned shape {out.shape}, expected {tuple(shape)}")
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        raise AssertionError(f"non-finite values in a result of shape {out.shape}")


def _conv_out(x, w, stride, padding, dilation):
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oh = (x.shape[2] + 2 * ph - dh * (w.shape[2] - 1) - 1) // sh + 1
    return (x.shape[0], w.shape[0], oh, (x.shape[3] + 2 * pw - dw * (w.shape[3] - 1) - 1) // sw + 1)


def _pool_out(x_shape, k, s, p):
    (kh, kw), (ph, pw) = _pair(k), _pair(p)
    sh, sw = (kh, kw) if s is None else _pair(s)
    return (*x_shape[:2], (x_shape[2] + 2 * ph - kh) // sh + 1, (x_shape[3] + 2 * pw - kw) // sw + 1)


def _small(shape) -> bool:
    return all(0 <= d < 4096 for d in shape) and int(np.prod(shape)) < 1 << 20


# ------------------------------------------------------------------ the cases
def matmul(rng, dt, raw):
    m, k, n = _dims(rng, 3)
    ta, tb = bool(rng.integers(2)), bool(rng.integers(2))
    kb = _int(rng, k, k) if rng.random() < 0.1 else k
    a = _array(rng, (k, m) if ta else (m, k), dt, raw)
    b = _array(rng, (n, kb) if tb else (kb, n), dt, raw)
    out = _C.matmul(a, b, ta, tb) if raw else ops.matmul(a, b, trans_a=ta, trans_b=tb)
    _check(out, (a.shape[1 if ta else 0], b.shape[0 if tb else 1]))
    if _small(out.shape) and _small(a.shape) and _small(b.shape):
        np.testing.assert_allclose(out, (a.T if ta else a) @ (b.T if tb else b), rtol=1e-3, atol=1e-3)


def linear(rng, dt, raw):
    m, k, n = _dims(rng, 3)
    x, w = _array(rng, (m, k), dt, True), _array(rng, (n, _int(rng, k, k)), dt, True)
    b = None if rng.random() < 0.3 else _array(rng, (_int(rng, n, n),), dt, True)
    _check(_C.linear_forward(x, w, b), (x.shape[0], w.shape[0]))


def gemm(rng, dt, raw):
    m, k, n = _dims(rng, 3)
    a, b = _array(rng, (m, k), dt, True), _array(rng, (k, n), dt, True)
    c = _array(rng, (m, _int(rng, n, n)), dt, True)
    _C.gemm_(False, False, 1.0, a, b, 0.0, c)
    _check(c, (m, n))


def conv2d(rng, dt, raw):
    n, c, h, w_, oc, kh, kw = _dims(rng, 7, 7)
    x = _array(rng, (n, c, h, w_), dt, raw)
    w = _array(rng, (oc, _int(rng, c, c) if rng.random() < 0.1 else c, kh, kw), dt, raw)
    b = _array(rng, (_int(rng, oc, oc),), dt, raw) if rng.random() < 0.5 else None
    s, p, d = _geo(rng, 1, 3), _geo(rng, 0, 3), _geo(rng, 1, 3)
    if raw:
        out = _C.conv2d(x, w, b, *_pair(s), *_pair(p), *_pair(d))
    else:
        out = ops.conv2d(x, w, b, stride=s, padding=p, dilation=d)
    _check(out, _conv_out(x, w, s, p, d))


def conv2d_backward(rng, dt, raw):
    n, c, h, w_, oc, kh, kw = _dims(rng, 7, 7)
    x, w = _array(rng, (n, c, h, w_), dt, raw), _array(rng, (oc, c, kh, kw), dt, raw)
    s, p, d = _geo(rng, 1, 3), _geo(rng, 0, 3), _geo(rng, 1, 3)
    try:
        shape = _conv_out(x, w, s, p, d)
    except (TypeError, ValueError, ZeroDivisionError):
        shape = (n, oc, 2, 2)
    gy = _array(rng, shape if _small(shape) and rng.random() < 0.9 else _dims(rng, 4), dt, raw)
    if raw:
        grads = _C.conv2d_backward(x, w, gy, *_pair(s), *_pair(p), *_pair(d), True, True, True)
    else:
        grads = ops.conv2d_backward(x, w, gy, stride=s, padding=p, dilation=d)
    for g, want in zip(grads, (x.shape, w.shape, (w.shape[0],))):
        _check(g, want)


def pool2d(rng, dt, raw):
    x = _array(rng, _dims(rng, 4, 7), dt, raw)
    k, s, p = _geo(rng, 1, 4), (None if rng.random() < 0.4 else _geo(rng, 1, 3)), _geo(rng, 0, 2)
    avg = bool(rng.integers(2))
    if raw:
        geo = (*_pair(k), *_pair(k if s is None else s), *_pair(p))
        out = _C.avg_pool2d(x, *geo) if avg else _C.max_pool2d(x, *geo)
    else:
        out = ops.avg_pool2d(x, k, s, p) if avg else ops.max_pool2d(x, k, s, p)
    for o in [out] if avg else out:
        _check(o, _pool_out(x.shape, k, s, p))


def max_pool2d_backward(rng, dt, raw):
    x = rng.standard_normal(rng.integers(1, 8, 4)).astype(dt)
    k = min(int(rng.integers(1, 4)), *x.shape[2:])
    _, idx = ops.max_pool2d(x, k)
    gy = _array(rng, idx.shape, dt, raw)
    x_shape = [_int(rng, d, d) if rng.random() < 0.15 else d for d in x.shape]
    if rng.random() < 0.2:
        idx = rng.permutation(idx.ravel()).reshape(idx.shape) if rng.random() < 0.5 else idx + rng.integers(-2, 3)
    if raw:
        out = _C.max_pool2d_backward(gy, idx, x_shape[2], x_shape[3])
    else:
        out = ops.max_pool2d_backward(gy, idx, x_shape)
    _check(out, (*gy.shape[:2], *x_shape[2:]))


def avg_pool2d_backward(rng, dt, raw):
    x_shape = [_int(rng, 1, 7) for _ in range(4)]
    k, s, p = _geo(rng, 1, 4), (None if rng.random() < 0.4 else _geo(rng, 1, 3)), _geo(rng, 0, 2)
    try:
        shape = _pool_out(x_shape, k, s, p)
    except (TypeError, ValueError, ZeroDivisionError):
        shape = (1, 1, 1, 1)
    gy = _array(rng, shape if _small(shape) and rng.random() < 0.9 else _dims(rng, 4), dt, raw)
    if raw:
        out = _C.avg_pool2d_backward(gy, *x_shape[2:], *_pair(k), *_pair(k if s is None else s), *_pair(p))
    else:
        out = ops.avg_pool2d_backward(gy, x_shape, k, s, p)
    _check(out, (*gy.shape[:2], *x_shape[2:]))


GATES = {"rnn_tanh": 1, "lstm": 4, "gru": 3}


def recurrent(rng, dt, raw):
    kind = ("rnn_tanh", "lstm", "gru")[rng.integers(3)]
    g, (t, n, i, h) = GATES[kind], _dims(rng, 4)
    if rng.random() < 0.1:
        t = 0
    shapes = {"x": (t, n, i), "h0": (n, h), "c0": (n, h), "w_ih": (g * h, i), "w_hh": (g * h, h), "b": (g * h,)}
    bad = list(shapes)[rng.integers(len(shapes))] if rng.random() < 0.2 else None
    a = {k: _array(rng, [_int(rng, d, d) for d in v] if k == bad else v, dt, raw) for k, v in shapes.items()}
    t = a["x"].shape[0] if a["x"].ndim == 3 else t
    args = [a["x"], a["h0"], *([a["c0"]] if kind == "lstm" else []), a["w_ih"], a["w_hh"], a["b"], a["b"].copy()]
    backward = rng.random() < 0.4
    if raw:
        fwd = getattr(_C, f"{kind}_forward")(*args, backward)
        y, cache = fwd[0], fwd[-1]
        outs = [(y, (t, n, h)), (fwd[1], (n, h))]
        if backward:
            gy = _array(rng, y.shape, dt, raw)
            if rng.random() < 0.2:
                cache = cache[: max(cache.size - 1, 0)].copy()
            nones = [None] * (2 if kind == "lstm" else 1)  # grad_hT (and grad_cT)
            grads = getattr(_C, f"{kind}_backward")(cache, *args[:-2], y, gy, *nones)
            outs = [(grads[0], (t, n, i)), (grads[-4], (g * h, i))]
    elif backward:
        gy = _array(rng, (t, n, h), dt, raw)
        grads = getattr(ops, f"{kind}_backward")(*args, gy)
        outs = [(grads[0], (t, n, i)), (grads[-4], (g * h, i))]
    else:
        res = getattr(ops, kind)(*args)
        outs = [(res[0], (t, n, h)), (res[1], (n, h))]
    for out, shape in outs:
        _check(out, shape)


def elementwise(rng, dt, raw):
    x = _array(rng, _dims(rng, int(rng.integers(1, 4))), dt, True)
    out = x if rng.random() < 0.3 else _array(rng, [_int(rng, x.size, x.size)], dt, True)
    if rng.random() < 0.1 and out.size:
        out.flags.writeable = False
    res = (_C.tanh_forward if rng.integers(2) else _C.sigmoid_forward)(x, out)
    _check(res, out.shape)


def mlp_sgd_steps(rng, dt, raw):
    sizes = [_int(rng, 1, 4) if rng.random() < 0.1 else int(rng.integers(1, 5)) for _ in range(rng.integers(2, 5))]
    good = [max(s, 0) if abs(s) < 64 else 1 for s in sizes]
    weights = [_array(rng, (good[i + 1], good[i]), dt, True) for i in range(len(good) - 1)]
    biases = [None if rng.random() < 0.3 else _array(rng, (good[i + 1],), dt, True) for i in range(len(good) - 1)]
    acts = [int(rng.integers(-1, 6)) if rng.random() < 0.05 else int(rng.integers(5)) for _ in weights]
    loss, n = int(rng.integers(3)) if rng.random() > 0.05 else 7, int(rng.integers(1, 9))
    x = _array(rng, (n, good[0]), dt, True)
    targets = _array(rng, (n, good[-1]), dt, True) if loss != 2 else None
    labels = rng.integers(0, max(good[-1], 1) + (rng.random() < 0.1), n) if loss == 2 else None
    steps, batch = _int(rng, 0, 5), _int(rng, 1, 4)
    size = steps * batch if 0 <= steps * batch < 1000 else int(rng.integers(8))
    order = rng.integers(0, n + (rng.random() < 0.05), size)
    done, losses = _C.mlp_sgd_steps(
        sizes, acts, 0.01, loss, weights, biases, x, targets, labels, order, steps, batch, 0.01, 0.0, 0.0
    )
    _check(losses[:done], (done,))
    for wt, shape in zip(weights, [(good[i + 1], good[i]) for i in range(len(good) - 1)]):
        _check(wt, shape)


def settings(rng, dt, raw):
    before = _C.get_num_threads()
    try:
        _C.set_num_threads(_int(rng, 1, 3))
        x = rng.standard_normal((2, 3, 9, 9)).astype(dt)
        _check(ops.conv2d(x, x[:2, :, :3, :3]), (2, 2, 7, 7))
    finally:
        _C.set_num_threads(before)
    try:
        _C.set_isa(["generic", "avx2", "avx512", "", "sse", "AVX2"][rng.integers(6)])
    finally:
        _C.set_isa("avx512")  # the cap; the hardware's own ISA still applies


CASES = [matmul, linear, gemm, conv2d, conv2d_backward, pool2d, max_pool2d_backward, avg_pool2d_backward]
CASES += [recurrent, recurrent, elementwise, mlp_sgd_steps, settings]


def run_case(seed: int) -> None:
    """One random kernel call: through nv.ops, or (half the time) straight to neuralviz._C;
    a quarter of the cases allow 2 threads, so the threaded paths see odd shapes too."""
    rng = np.random.default_rng(seed)
    case = CASES[rng.integers(len(CASES))]
    dtype = (np.float32, np.float64)[rng.integers(2)]
    threads = _C.get_num_threads()
    _C.set_num_threads(2 if rng.random() < 0.25 else 1)
    try:
        case(rng, dtype, raw=bool(rng.integers(2)))
    finally:
        _C.set_num_threads(threads)

"""Hypothesis fuzzing of the kernels (issue 14): nv.ops and the raw neuralviz._C functions.

Odd shapes, strides, paddings, dilations, dtypes, non-contiguous arrays, zero-size arrays
with huge other dimensions and huge ints (up to 2**64). Every call must either return a
result of the shape the formulas give, with finite values, or raise ValueError/TypeError.

The properties (fuzz_* functions) run in a child pytest process started by
test_kernels_survive_fuzzing_in_a_subprocess, so that a crash or a hang fails that test
(with the child's last calls printed) instead of killing this pytest. They are
derandomized, so the suite is repeatable; `python -m neuralviz.fuzz --domains kernels`
explores further.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuralviz as nv
from neuralviz import _C

fuzz = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)

HUGE = [2**31, 2**36, 2**40, 2**62, 2**63 - 1, 2**63, 2**64, -1, -(2**63)]
FLOATS = [np.float32, np.float64]


def test_kernels_survive_fuzzing_in_a_subprocess():
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
        "-o",
        "python_functions=fuzz_*",
        __file__,
    ]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, timeout=120, cwd=Path(__file__).parent.parent)
        status = proc.returncode
    except subprocess.TimeoutExpired as hang:  # the child was killed; its last calls say where
        proc, status = hang, "killed after 120 s (a hang)"
    out = (proc.stdout or b"").decode(errors="replace") + (proc.stderr or b"").decode(errors="replace")
    tail = "\n".join(out.splitlines()[-40:])
    assert status == 0, f"the fuzzing child exited with status {status}:\n{tail}"
    assert "6 passed" in out, tail


# ------------------------------------------------------------------ strategies
size = st.one_of(st.integers(0, 6), st.sampled_from(HUGE))
small = st.integers(1, 5)


@st.composite
def geometry(draw, lo: int):
    """What ops accepts for stride/padding/dilation, plus junk: an int, a pair, or not."""
    value = st.one_of(st.integers(lo, 3), st.sampled_from(HUGE))
    return draw(st.one_of(value, st.tuples(value, value), st.sampled_from([None, 1.5, "2", True, (1, 2, 3)])))


@st.composite
def array(draw, shape, dtype=None):
    """An array of `shape` with an odd layout or dtype now and then; zero-size with a huge
    other dimension when `shape` holds a huge or negative size."""
    shape = list(shape)
    dtype = draw(st.sampled_from(FLOATS)) if dtype is None else dtype
    if draw(st.integers(0, 19)) == 0:
        dtype = draw(st.sampled_from([np.int32, np.int64, np.float16, np.bool_, np.complex64]))
    if any(d < 0 or d > 64 for d in shape):
        big = next(i for i, d in enumerate(shape) if d < 0 or d > 64)
        shape = [min(abs(d), 2**40) if i == big and len(shape) > 1 else 0 for i, d in enumerate(shape)]
        return np.empty(shape, dtype)
    a = np.random.default_rng(draw(st.integers(0, 2**32))).standard_normal(shape).astype(dtype)
    layout = draw(st.sampled_from(["c"] * 4 + ["reversed", "strided", "fortran"]))
    if layout == "reversed" and a.ndim:
        a = a[..., ::-1].copy()[..., ::-1]  # same values, negative strides
    elif layout == "strided" and a.ndim:
        b = np.zeros((*shape[:-1], 2 * shape[-1]), dtype)
        b[..., ::2] = a
        a = b[..., ::2]
    elif layout == "fortran":
        a = np.asfortranarray(a)
    return a


def trace(*parts) -> None:
    """The call about to run, on stderr: after a crash the parent prints the last ones."""
    print(*parts, file=sys.stderr, flush=True)


def describe(a) -> str:
    return f"{a.dtype}{a.shape}" if isinstance(a, np.ndarray) else repr(a)


def expect(call, *shapes) -> None:
    """call() raises ValueError/TypeError, or returns arrays of `shapes` with finite values."""
    try:
        out = call()
    except (ValueError, TypeError):
        return
    outs = out if isinstance(out, tuple) else (out,)
    for o, shape in zip(outs, shapes):
        if shape is None:
            continue
        assert isinstance(o, np.ndarray) and o.shape == tuple(shape), (o, shape)
        assert np.isfinite(o).all()


def pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def raw_ints(*values) -> list[int]:
    out = []
    for v in values:
        out += pair(v)
    return out


def conv_shape(x, w, s, p, d):
    (sh, sw), (ph, pw), (dh, dw) = pair(s), pair(p), pair(d)
    oh = (x.shape[2] + 2 * ph - dh * (w.shape[2] - 1) - 1) // sh + 1
    return x.shape[0], w.shape[0], oh, (x.shape[3] + 2 * pw - dw * (w.shape[3] - 1) - 1) // sw + 1


def pool_shape(x_shape, k, s, p):
    (kh, kw), (sh, sw), (ph, pw) = pair(k), pair(k if s is None else s), pair(p)
    return x_shape[0], x_shape[1], (x_shape[2] + 2 * ph - kh) // sh + 1, (x_shape[3] + 2 * pw - kw) // sw + 1


def safe(f, *args, fallback=(1, 1, 1, 1)):
    try:
        return f(*args)
    except (TypeError, ValueError, ZeroDivisionError):
        return fallback


# ------------------------------------------------------------------ properties
@fuzz
@given(st.data(), st.tuples(size, small, small, small), st.tuples(small, size, small))
def fuzz_conv2d(data, xs, ws):
    n, c, h, w_ = xs
    x = data.draw(array((n, c, h + 3, w_ + 3)))
    w = data.draw(array((ws[0], c if data.draw(st.booleans()) else ws[1], ws[2], ws[2])))
    s, p, d = data.draw(geometry(1)), data.draw(geometry(0)), data.draw(geometry(1))
    trace("conv2d", describe(x), describe(w), s, p, d)
    shape = safe(conv_shape, x, w, s, p, d)
    expect(lambda: nv.ops.conv2d(x, w, stride=s, padding=p, dilation=d), shape)
    expect(lambda: _C.conv2d(x, w, None, *raw_ints(s, p, d)), shape)
    gy = data.draw(array(shape if all(0 <= v < 64 for v in shape) else (1, 1, 1, 1), x.dtype))
    trace("conv2d_backward", describe(gy))
    expect(lambda: nv.ops.conv2d_backward(x, w, gy, stride=s, padding=p, dilation=d), x.shape, w.shape)
    expect(lambda: _C.conv2d_backward(x, w, gy, *raw_ints(s, p, d), True, True, True), x.shape, w.shape)


@fuzz
@given(st.data(), st.tuples(size, small, small, small))
def fuzz_pooling(data, xs):
    x = data.draw(array((xs[0], xs[1], xs[2] + 2, xs[3] + 2)))
    k, p = data.draw(geometry(1)), data.draw(geometry(0))
    s = data.draw(st.one_of(st.none(), geometry(1)))
    trace("pool2d", describe(x), k, s, p)
    shape = safe(pool_shape, x.shape, k, s, p)
    expect(lambda: nv.ops.max_pool2d(x, k, s, p), shape, shape)
    expect(lambda: nv.ops.avg_pool2d(x, k, s, p), shape)
    geo = safe(lambda: raw_ints(k, k if s is None else s, p), fallback=[1] * 6)
    expect(lambda: _C.max_pool2d(x, *geo), shape, shape)
    expect(lambda: _C.avg_pool2d(x, *geo), shape)
    x_shape = [data.draw(st.one_of(st.just(v), size)) for v in x.shape]
    gy = data.draw(array(shape if all(0 <= v < 64 for v in shape) else (1, 1, 1, 1), x.dtype))
    trace("avg_pool2d_backward", describe(gy), x_shape)
    grad_x = (*gy.shape[:2], *x_shape[2:])
    expect(lambda: nv.ops.avg_pool2d_backward(gy, x_shape, k, s, p), grad_x)
    expect(lambda: _C.avg_pool2d_backward(gy, *x_shape[2:], *geo), grad_x)


@fuzz
@given(st.data(), st.tuples(small, small, small, small), st.integers(1, 3))
def fuzz_max_pool2d_backward(data, xs, k):
    x = np.random.default_rng(0).standard_normal((xs[0], xs[1], xs[2] + 2, xs[3] + 2))
    _, idx = nv.ops.max_pool2d(x, k)
    idx = data.draw(st.sampled_from([idx, idx[..., ::-1].copy(), idx + 1, -idx, idx * 3, idx.astype(np.int32)]))
    gy = data.draw(array(idx.shape, np.float64))
    x_shape = [data.draw(st.one_of(st.just(v), size)) for v in x.shape]
    trace("max_pool2d_backward", describe(gy), describe(idx), x_shape)
    grad_x = (*gy.shape[:2], *x_shape[2:])
    expect(lambda: nv.ops.max_pool2d_backward(gy, idx, x_shape), grad_x)
    expect(lambda: _C.max_pool2d_backward(gy, idx, *x_shape[2:]), grad_x)


@fuzz
@given(st.data(), st.sampled_from(["rnn_tanh", "lstm", "gru"]), st.tuples(size, size, size, size))
def fuzz_recurrent(data, kind, dims):
    g = {"rnn_tanh": 1, "lstm": 4, "gru": 3}[kind]
    t, n, i, h = dims
    gh = g * h if 0 <= h <= 6 else h
    x, h0 = data.draw(array((t, n, i))), data.draw(array((n, h)))
    c0 = [data.draw(array((n, h)))] if kind == "lstm" else []
    w_ih, w_hh = data.draw(array((gh, i))), data.draw(array((gh, h)))
    b = data.draw(array((gh,)))
    args = [x, h0, *c0, w_ih, w_hh, b, b]
    trace(kind, *map(describe, args))
    y_shape = (x.shape[0], *h0.shape) if x.ndim == 3 and h0.ndim == 2 else None
    expect(lambda: getattr(nv.ops, kind)(*args), y_shape, h0.shape)
    expect(lambda: getattr(_C, f"{kind}_forward")(*args, True), y_shape, h0.shape)
    gy = data.draw(array(y_shape if y_shape and max(y_shape) < 64 else (1, 1, 1), x.dtype))
    trace(f"{kind}_backward", describe(gy))
    expect(lambda: getattr(nv.ops, f"{kind}_backward")(*args, gy), x.shape)
    try:
        y, *_, cache = getattr(_C, f"{kind}_forward")(*args, True)
    except (ValueError, TypeError):
        return
    nones = [None, None] if kind == "lstm" else [None]
    expect(lambda: getattr(_C, f"{kind}_backward")(cache, *args[:-2], y, gy, *nones), x.shape)


@fuzz
@given(st.data(), st.tuples(size, size, size), st.booleans(), st.booleans())
def fuzz_matmul_linear_gemm(data, mkn, ta, tb):
    m, k, n = mkn
    a = data.draw(array((k, m) if ta else (m, k)))
    b = data.draw(array((n, k) if tb else (k, n)))
    trace("matmul", describe(a), describe(b), ta, tb)
    out = (a.shape[1 if ta else 0], b.shape[0 if tb else 1]) if a.ndim == b.ndim == 2 else None
    expect(lambda: nv.ops.matmul(a, b, trans_a=ta, trans_b=tb), out)
    expect(lambda: _C.matmul(a, b, ta, tb), out)
    expect(lambda: _C.linear_forward(a, b, None), (a.shape[0], b.shape[0]) if out else None)
    c = data.draw(array(out if out and max(out) < 64 else (2, 2), a.dtype))
    trace("gemm_", describe(c))
    expect(lambda: _C.gemm_(ta, tb, 1.0, a, b, 0.5, c))


@fuzz
@given(st.data(), size, size, st.integers(1, 4), st.integers(0, 2), st.sampled_from(FLOATS))
def fuzz_mlp_sgd_steps_and_elementwise(data, steps, batch, hidden, loss, dtype):
    sizes = [2, hidden, 3]
    weights = [data.draw(array((sizes[1], 2), dtype)), data.draw(array((3, sizes[1]), dtype))]
    x, targets = data.draw(array((5, 2), dtype)), data.draw(array((5, 3), dtype))
    labels = np.arange(5, dtype=np.int64) % data.draw(st.sampled_from([3, 4]))
    picks = steps * batch if 0 <= steps * batch < 200 else data.draw(st.integers(0, 20))
    order = np.arange(picks, dtype=np.int64) % data.draw(st.sampled_from([5, 6]))
    if data.draw(st.booleans()):
        sizes[data.draw(st.integers(0, 2))] = data.draw(size)
    trace("mlp_sgd_steps", sizes, steps, batch, loss, *map(describe, [*weights, x, order]))
    try:
        done, losses = _C.mlp_sgd_steps(
            sizes, [1, 0], 0.01, loss, weights, [None, None], x, targets, labels, order, steps, batch, 0.01, 0.0, 0.0
        )
    except (ValueError, TypeError):
        pass
    else:  # losses after a non-finite one (the kernel stops there) are not written
        assert losses.shape == (steps,) and 0 <= done <= steps and np.isfinite(losses[:done]).all()
    out = data.draw(array((data.draw(size),), dtype))
    trace("tanh_forward", describe(x), describe(out))
    expect(lambda: _C.tanh_forward(x, out), out.shape)

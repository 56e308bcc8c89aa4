"""Validated kernel API: numpy arrays in, numpy arrays out (DESIGN.md §3).

Each function checks its arguments once, with messages that name the argument and the
shapes, then calls the kernel of the active backend (`neuralviz.backend.current`: the layers
call the same object, unvalidated). With nv.set_backend("cuda"), matmul runs on the GPU and
the other kernels stay on the CPU (see backend.CudaBackend).
Inputs must be float32 or float64 and all of one dtype: float64 is never downcast, and
integer arrays are refused rather than converted. Non-contiguous inputs are copied to
C order first, so views and transposes give correct results.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import backend

IntOrPair = int | Sequence[int]
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ------------------------------------------------------------------ validation helpers
def _array(fn: str, name: str, a, ndim: int | None = None) -> np.ndarray:
    """a as a C-contiguous float32/float64 ndarray, or a TypeError/ValueError naming it."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy array, got {type(a).__name__}")
    if a.dtype not in _FLOATS:
        raise TypeError(
            f"{fn}: {name} must be float32 or float64, got {a.dtype} "
            f"(convert explicitly, e.g. {name}.astype(np.float32))"
        )
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be {ndim}-D, got shape {a.shape}")
    return np.ascontiguousarray(a)


def _same_dtype(fn: str, **arrays: np.ndarray | None) -> None:
    named = [(k, v) for k, v in arrays.items() if v is not None]
    first_name, first = named[0]
    for k, v in named[1:]:
        if v.dtype != first.dtype:
            raise TypeError(
                f"{fn}: {k} is {v.dtype} but {first_name} is {first.dtype}; all arrays must have the same dtype"
            )


def _nonempty(fn: str, name: str, a: np.ndarray) -> None:
    if a.size == 0:
        raise ValueError(f"{fn}: {name} has a zero-size dimension (shape {a.shape})")


def _pair(fn: str, name: str, v: IntOrPair, minimum: int) -> tuple[int, int]:
    """An int or an (h, w) pair, as in PyTorch, checked against a lower bound."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        pair = (int(v), int(v))
    elif (
        isinstance(v, (tuple, list))
        and len(v) == 2
        and all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in v)
    ):
        pair = (int(v[0]), int(v[1]))
    else:
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints, got {v!r}")
    if min(pair) < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {v!r}")
    return pair


def _shape4(fn: str, name: str, shape) -> tuple[int, int, int, int]:
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a sequence of 4 ints, got {shape!r}") from None
    if len(dims) != 4 or min(dims) < 1:
        raise ValueError(f"{fn}: {name} must be 4 positive ints (N, C, H, W), got {shape!r}")
    return dims  # type: ignore[return-value]


# ------------------------------------------------------------------ matmul
def matmul(a: np.ndarray, b: np.ndarray, *, trans_a: bool = False, trans_b: bool = False) -> np.ndarray:
    """op(a) @ op(b), where op transposes when trans_a / trans_b is set."""
    a = _array("matmul", "a", a, 2)
    b = _array("matmul", "b", b, 2)
    _same_dtype("matmul", a=a, b=b)
    ka = a.shape[0] if trans_a else a.shape[1]
    kb = b.shape[1] if trans_b else b.shape[0]
    if ka != kb:
        raise ValueError(
            f"matmul: inner dimensions differ: op(a) is "
            f"{a.shape[::-1] if trans_a else a.shape} and op(b) is "
            f"{b.shape[::-1] if trans_b else b.shape} (a.shape={a.shape}, "
            f"b.shape={b.shape}, trans_a={trans_a}, trans_b={trans_b})"
        )
    device = backend.current.device
    if device is not None:  # numpy in, numpy out: the operands go to the GPU and the product comes back
        return device.matmul(device.to_device(a), device.to_device(b), bool(trans_a), bool(trans_b)).numpy()
    return backend.current.matmul(a, b, bool(trans_a), bool(trans_b))


# ------------------------------------------------------------------ convolution
def _conv_args(fn, x, w, stride, padding, dilation):
    x = _array(fn, "x", x, 4)
    w = _array(fn, "w", w, 4)
    _nonempty(fn, "x", x)
    _nonempty(fn, "w", w)
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} channels but w expects {w.shape[1]} (x.shape={x.shape}, w.shape={w.shape})"
        )
    s = _pair(fn, "stride", stride, 1)
    p = _pair(fn, "padding", padding, 0)
    d = _pair(fn, "dilation", dilation, 1)
    for axis, size, k, pp, dd in ((2, x.shape[2], w.shape[2], p[0], d[0]), (3, x.shape[3], w.shape[3], p[1], d[1])):
        if size + 2 * pp < dd * (k - 1) + 1:
            raise ValueError(
                f"{fn}: kernel (extent {dd * (k - 1) + 1} with dilation {dd}) is "
                f"larger than the padded input ({size} + 2*{pp}) along axis {axis} "
                f"(x.shape={x.shape}, w.shape={w.shape})"
            )
    return x, w, (*s, *p, *d)


def conv2d_output_shape(x_shape, w_shape, stride=1, padding=0, dilation=1) -> tuple[int, int, int, int]:
    """(N, C_out, H_out, W_out) with PyTorch's formula floor((H + 2p - d(k-1) - 1)/s) + 1."""
    s = _pair("conv2d", "stride", stride, 1)
    p = _pair("conv2d", "padding", padding, 0)
    d = _pair("conv2d", "dilation", dilation, 1)
    oh = (x_shape[2] + 2 * p[0] - d[0] * (w_shape[2] - 1) - 1) // s[0] + 1
    ow = (x_shape[3] + 2 * p[1] - d[1] * (w_shape[3] - 1) - 1) // s[1] + 1
    return (x_shape[0], w_shape[0], oh, ow)


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """2-D cross-correlation: x (N, C, H, W), w (C_out, C, kH, kW), b (C_out,) or None."""
    x, w, geo = _conv_args("conv2d", x, w, stride, padding, dilation)
    if b is not None:
        b = _array("conv2d", "b", b, 1)
        if b.shape[0] != w.shape[0]:
            raise ValueError(
                f"conv2d: b has {b.shape[0]} entries but w has {w.shape[0]} "
                f"output channels (b.shape={b.shape}, w.shape={w.shape})"
            )
    _same_dtype("conv2d", x=x, w=w, b=b)
    return backend.current.conv2d(x, w, b, *geo)


def conv2d_backward(
    x: np.ndarray,
    w: np.ndarray,
    grad_y: np.ndarray,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    need_grad_x: bool = True,
):
    """(grad_x, grad_w, grad_b) of conv2d for upstream grad_y; grad_x is None if not needed."""
    x, w, geo = _conv_args("conv2d_backward", x, w, stride, padding, dilation)
    grad_y = _array("conv2d_backward", "grad_y", grad_y, 4)
    _same_dtype("conv2d_backward", x=x, w=w, grad_y=grad_y)
    expect = conv2d_output_shape(x.shape, w.shape, stride, padding, dilation)
    if grad_y.shape != expect:
        raise ValueError(
            f"conv2d_backward: grad_y must have shape {expect} (the conv output for "
            f"x.shape={x.shape}, w.shape={w.shape}), got {grad_y.shape}"
        )
    return backend.current.conv2d_backward(x, w, grad_y, *geo, bool(need_grad_x), True, True)


# ------------------------------------------------------------------ transposed convolution
def _conv_transpose_geometry(fn, x_shape, w_shape, stride, padding, output_padding, dilation):
    """(s, p, op, d) as pairs, checked as PyTorch does: output_padding below stride or dilation."""
    s = _pair(fn, "stride", stride, 1)
    p = _pair(fn, "padding", padding, 0)
    op = _pair(fn, "output_padding", output_padding, 0)
    d = _pair(fn, "dilation", dilation, 1)
    for axis in (0, 1):
        if op[axis] >= max(s[axis], d[axis]):
            raise ValueError(
                f"{fn}: output_padding {op[axis]} must be smaller than either stride ({s[axis]}) or "
                f"dilation ({d[axis]}) along axis {axis + 2} (output_padding={output_padding!r})"
            )
    for axis in (0, 1):
        size = _transposed_size(x_shape[2 + axis], w_shape[2 + axis], s[axis], p[axis], op[axis], d[axis])
        if size < 1:
            raise ValueError(
                f"{fn}: the output size {size} along axis {axis + 2} is not positive: "
                f"({x_shape[2 + axis]} - 1)*{s[axis]} - 2*{p[axis]} + {d[axis]}*({w_shape[2 + axis]} - 1) "
                f"+ {op[axis]} + 1 (x.shape={tuple(x_shape)}, w.shape={tuple(w_shape)})"
            )
    return s, p, op, d


def _transposed_size(size, k, s, p, op, d) -> int:
    """PyTorch's transposed-convolution output size (H - 1)s - 2p + d(k - 1) + op + 1."""
    return (size - 1) * s - 2 * p + d * (k - 1) + op + 1


def conv_transpose2d_output_shape(
    x_shape, w_shape, stride=1, padding=0, output_padding=0, dilation=1
) -> tuple[int, int, int, int]:
    """(N, C_out, H_out, W_out) with H_out = (H - 1)s - 2p + d(k - 1) + op + 1; w is (C_in, C_out, kH, kW)."""
    s, p, op, d = _conv_transpose_geometry(
        "conv_transpose2d", x_shape, w_shape, stride, padding, output_padding, dilation
    )
    oh, ow = (_transposed_size(x_shape[2 + a], w_shape[2 + a], s[a], p[a], op[a], d[a]) for a in (0, 1))
    return (x_shape[0], w_shape[1], oh, ow)


def _conv_transpose_args(fn, x, w, stride, padding, output_padding, dilation):
    x = _array(fn, "x", x, 4)
    w = _array(fn, "w", w, 4)
    _nonempty(fn, "x", x)
    _nonempty(fn, "w", w)
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} channels but w expects {w.shape[0]} "
            f"(w is (C_in, C_out, kH, kW); x.shape={x.shape}, w.shape={w.shape})"
        )
    s, p, op, d = _conv_transpose_geometry(fn, x.shape, w.shape, stride, padding, output_padding, dilation)
    return x, w, (*s, *p, *op, *d)


def conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed convolution (the adjoint of conv2d): x (N, C_in, H, W), w (C_in, C_out, kH, kW),
    b (C_out,) or None; as torch.nn.functional.conv_transpose2d (groups 1)."""
    fn = "conv_transpose2d"
    x, w, geo = _conv_transpose_args(fn, x, w, stride, padding, output_padding, dilation)
    if b is not None:
        b = _array(fn, "b", b, 1)
        if b.shape[0] != w.shape[1]:
            raise ValueError(
                f"{fn}: b has {b.shape[0]} entries but w has {w.shape[1]} "
                f"output channels (b.shape={b.shape}, w.shape={w.shape})"
            )
    _same_dtype(fn, x=x, w=w, b=b)
    return backend.current.conv_transpose2d(x, w, b, *geo)


def conv_transpose2d_backward(
    x: np.ndarray,
    w: np.ndarray,
    grad_y: np.ndarray,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    need_grad_x: bool = True,
):
    """(grad_x, grad_w, grad_b) of conv_transpose2d for upstream grad_y; grad_x is None if not needed."""
    fn = "conv_transpose2d_backward"
    x, w, geo = _conv_transpose_args(fn, x, w, stride, padding, output_padding, dilation)
    grad_y = _array(fn, "grad_y", grad_y, 4)
    _same_dtype(fn, x=x, w=w, grad_y=grad_y)
    expect = conv_transpose2d_output_shape(x.shape, w.shape, stride, padding, output_padding, dilation)
    if grad_y.shape != expect:
        raise ValueError(
            f"{fn}: grad_y must have shape {expect} (the transposed conv output for "
            f"x.shape={x.shape}, w.shape={w.shape}), got {grad_y.shape}"
        )
    return backend.current.conv_transpose2d_backward(x, w, grad_y, *geo, bool(need_grad_x), True, True)


# ------------------------------------------------------------------ pooling
def _pool_geometry(fn, x_shape, kernel_size, stride, padding):
    k = _pair(fn, "kernel_size", kernel_size, 1)
    s = k if stride is None else _pair(fn, "stride", stride, 1)
    p = _pair(fn, "padding", padding, 0)
    if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError(f"{fn}: padding {p} must be at most half of kernel_size {k}")
    for axis, size, kk, pp in ((2, x_shape[2], k[0], p[0]), (3, x_shape[3], k[1], p[1])):
        if size + 2 * pp < kk:
            raise ValueError(
                f"{fn}: kernel_size {kk} is larger than the padded input "
                f"({size} + 2*{pp}) along axis {axis} (x shape {tuple(x_shape)})"
            )
    return (*k, *s, *p)


def pool2d_output_shape(x_shape, kernel_size, stride=None, padding=0) -> tuple[int, int, int, int]:
    kh, kw, sh, sw, ph, pw = _pool_geometry("pool2d", x_shape, kernel_size, stride, padding)
    return (x_shape[0], x_shape[1], (x_shape[2] + 2 * ph - kh) // sh + 1, (x_shape[3] + 2 * pw - kw) // sw + 1)


def max_pool2d(
    x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(y, indices): the max of each window and its flat index h*W + w in the input plane."""
    x = _array("max_pool2d", "x", x, 4)
    _nonempty("max_pool2d", "x", x)
    return tuple(backend.current.max_pool2d(x, *_pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding)))


def max_pool2d_backward(grad_y: np.ndarray, indices: np.ndarray, x_shape) -> np.ndarray:
    """Routes each grad_y entry to the input position its window's max came from."""
    fn = "max_pool2d_backward"
    grad_y = _array(fn, "grad_y", grad_y, 4)
    n, c, h, w = _shape4(fn, "x_shape", x_shape)
    if not isinstance(indices, np.ndarray) or indices.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices must be an integer numpy array (from max_pool2d)")
    if indices.shape != grad_y.shape:
        raise ValueError(f"{fn}: indices shape {indices.shape} differs from grad_y shape {grad_y.shape}")
    if grad_y.shape[:2] != (n, c):
        raise ValueError(f"{fn}: grad_y shape {grad_y.shape} does not match x_shape {tuple(x_shape)}")
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    return backend.current.max_pool2d_backward(grad_y, indices, h, w)


def avg_pool2d(
    x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> np.ndarray:
    """Window means; padded zeros count in the mean (PyTorch's count_include_pad=True)."""
    x = _array("avg_pool2d", "x", x, 4)
    _nonempty("avg_pool2d", "x", x)
    return backend.current.avg_pool2d(x, *_pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding))


def avg_pool2d_backward(
    grad_y: np.ndarray, x_shape, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> np.ndarray:
    fn = "avg_pool2d_backward"
    grad_y = _array(fn, "grad_y", grad_y, 4)
    shape = _shape4(fn, "x_shape", x_shape)
    expect = pool2d_output_shape(shape, kernel_size, stride, padding)
    if grad_y.shape != expect:
        raise ValueError(f"{fn}: grad_y must have shape {expect} for x_shape {shape}, got {grad_y.shape}")
    geo = _pool_geometry(fn, shape, kernel_size, stride, padding)
    return backend.current.avg_pool2d_backward(grad_y, shape[2], shape[3], *geo)


# ------------------------------------------------------------------ recurrence
_GATES = {"rnn_tanh": 1, "lstm": 4, "gru": 3}


def _rnn_args(fn: str, kind: str, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, c0=None):
    """Validates a recurrent call; returns the contiguous arrays in the same order."""
    g = _GATES[kind]
    x = _array(fn, "x", x, 3)
    h0 = _array(fn, "h0", h0, 2)
    t, n, i = x.shape
    hidden = h0.shape[1]
    if n == 0 or hidden == 0 or i == 0:
        raise ValueError(
            f"{fn}: batch, input and hidden sizes must be positive (x.shape={x.shape}, h0.shape={h0.shape})"
        )
    expect = {
        "h0": (n, hidden),
        "c0": (n, hidden),
        "w_ih": (g * hidden, i),
        "w_hh": (g * hidden, hidden),
        "b_ih": (g * hidden,),
        "b_hh": (g * hidden,),
    }
    arrays = {"x": x, "h0": h0, "c0": c0, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    for name, want in expect.items():
        a = arrays[name]
        if a is None:
            continue
        a = arrays[name] = _array(fn, name, a)
        if a.shape != want:
            raise ValueError(
                f"{fn}: {name} must have shape {want} for x.shape={x.shape} (T, N, I) "
                f"and hidden size {hidden} (from h0.shape={h0.shape}), got {a.shape}"
            )
    _same_dtype(fn, **arrays)
    return arrays


def _grad_arg(fn, name, a, shape, dtype):
    if a is None:
        return None
    a = _array(fn, name, a)
    if a.shape != shape:
        raise ValueError(f"{fn}: {name} must have shape {shape}, got {a.shape}")
    if a.dtype != dtype:
        raise TypeError(f"{fn}: {name} is {a.dtype} but x is {dtype}")
    return a


def rnn_tanh(x, h0, w_ih, w_hh, b_ih, b_hh):
    """Elman RNN over a whole sequence: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""
    a = _rnn_args("rnn_tanh", "rnn_tanh", x, h0, w_ih, w_hh, b_ih, b_hh)
    y, h_t, _ = backend.current.rnn_tanh_forward(a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], False)
    return y, h_t


def lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """LSTM over a whole sequence (gates i, f, g, o as PyTorch): returns (y, h_T, c_T)."""
    a = _rnn_args("lstm", "lstm", x, h0, w_ih, w_hh, b_ih, b_hh, c0=c0)
    y, h_t, c_t, _ = backend.current.lstm_forward(
        a["x"], a["h0"], a["c0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], False
    )
    return y, h_t, c_t


def gru(x, h0, w_ih, w_hh, b_ih, b_hh):
    """GRU over a whole sequence (gates r, z, n; reset applied to W_hn h + b_hn, as PyTorch)."""
    a = _rnn_args("gru", "gru", x, h0, w_ih, w_hh, b_ih, b_hh)
    y, h_t, _ = backend.current.gru_forward(a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], False)
    return y, h_t


def rnn_tanh_forward_cached(x, h0, w_ih, w_hh, b_ih, b_hh):
    """Like rnn_tanh, plus the cache that rnn_tanh_backward_cached needs: (y, h_T, cache)."""
    a = _rnn_args("rnn_tanh", "rnn_tanh", x, h0, w_ih, w_hh, b_ih, b_hh)
    return tuple(backend.current.rnn_tanh_forward(a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], True))


def lstm_forward_cached(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """Like lstm, plus the saved gates for lstm_backward_cached: (y, h_T, c_T, cache)."""
    a = _rnn_args("lstm", "lstm", x, h0, w_ih, w_hh, b_ih, b_hh, c0=c0)
    return tuple(
        backend.current.lstm_forward(a["x"], a["h0"], a["c0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], True)
    )


def gru_forward_cached(x, h0, w_ih, w_hh, b_ih, b_hh):
    """Like gru, plus the saved gates for gru_backward_cached: (y, h_T, cache)."""
    a = _rnn_args("gru", "gru", x, h0, w_ih, w_hh, b_ih, b_hh)
    return tuple(backend.current.gru_forward(a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], True))


def _backward_common(fn, kind, cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT, c0=None):
    a = _rnn_args(fn, kind, x, h0, w_ih, w_hh, c0=c0)
    t, n, _ = a["x"].shape
    hidden = a["h0"].shape[1]
    dtype = a["x"].dtype
    a["y"] = _grad_arg(fn, "y", y, (t, n, hidden), dtype)
    a["grad_y"] = _grad_arg(fn, "grad_y", grad_y, (t, n, hidden), dtype)
    a["grad_hT"] = _grad_arg(fn, "grad_hT", grad_hT, (n, hidden), dtype)
    if not isinstance(cache, np.ndarray) or cache.ndim != 1 or cache.dtype != dtype:
        raise ValueError(f"{fn}: cache must be the 1-D {dtype} array returned by the cached forward")
    a["cache"] = cache
    return a


def rnn_tanh_backward_cached(cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT=None):
    a = _backward_common("rnn_tanh_backward", "rnn_tanh", cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT)
    return tuple(
        backend.current.rnn_tanh_backward(
            a["cache"], a["x"], a["h0"], a["w_ih"], a["w_hh"], a["y"], a["grad_y"], a["grad_hT"]
        )
    )


def lstm_backward_cached(cache, x, h0, c0, w_ih, w_hh, y, grad_y, grad_hT=None, grad_cT=None):
    a = _backward_common("lstm_backward", "lstm", cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT, c0=c0)
    gct = _grad_arg("lstm_backward", "grad_cT", grad_cT, a["h0"].shape, a["x"].dtype)
    return tuple(
        backend.current.lstm_backward(
            a["cache"], a["x"], a["h0"], a["c0"], a["w_ih"], a["w_hh"], a["y"], a["grad_y"], a["grad_hT"], gct
        )
    )


def gru_backward_cached(cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT=None):
    a = _backward_common("gru_backward", "gru", cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT)
    return tuple(
        backend.current.gru_backward(
            a["cache"], a["x"], a["h0"], a["w_ih"], a["w_hh"], a["y"], a["grad_y"], a["grad_hT"]
        )
    )


def rnn_tanh_backward(x, h0, w_ih, w_hh, b_ih, b_hh, grad_y, grad_hT=None):
    """BPTT for rnn_tanh: (grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh).

    Recomputes the forward to get the gate cache; layers use the *_cached pair instead.
    """
    y, _, cache = rnn_tanh_forward_cached(x, h0, w_ih, w_hh, b_ih, b_hh)
    return rnn_tanh_backward_cached(cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT)


def lstm_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, grad_y, grad_hT=None, grad_cT=None):
    """BPTT for lstm: (grad_x, grad_h0, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)."""
    y, _, _, cache = lstm_forward_cached(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    return lstm_backward_cached(cache, x, h0, c0, w_ih, w_hh, y, grad_y, grad_hT, grad_cT)


def gru_backward(x, h0, w_ih, w_hh, b_ih, b_hh, grad_y, grad_hT=None):
    """BPTT for gru: (grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)."""
    y, _, cache = gru_forward_cached(x, h0, w_ih, w_hh, b_ih, b_hh)
    return gru_backward_cached(cache, x, h0, w_ih, w_hh, y, grad_y, grad_hT)

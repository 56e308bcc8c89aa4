"""max_pool2d / avg_pool2d forward and backward: numpy reference (ref_conv), float64 finite
differences, PyTorch (when installed), bad inputs and non-contiguous views."""

import numpy as np
import pytest
import ref_conv

import neuralviz as nv

# (N, C, H, W, kernel_size, stride, padding)
GEOMETRIES = [
    (2, 3, 8, 8, 2, None, 0),  # the usual 2x2 / stride 2
    (2, 3, 9, 7, 2, None, 0),  # odd sizes: floor mode drops the last row/column
    (1, 2, 11, 13, 3, 2, 1),  # overlapping windows with padding
    (2, 2, 7, 10, (3, 2), (1, 2), (1, 1)),  # asymmetric pairs
    (1, 1, 5, 5, 5, None, 2),  # kernel 5, padding 2: windows reach far into padding
    (3, 1, 4, 6, (4, 6), 1, 0),  # kernel = input: 1x1 output
    (2, 2, 6, 5, 1, 1, 0),  # 1x1 windows: identity
    (1, 3, 17, 19, (2, 3), (3, 1), (1, 0)),  # primes, stride larger than the kernel
]
DTYPES = [np.float32, np.float64]


def make(geom, dtype, seed=0):
    n, c, h, w, k, s, p = geom
    rng = np.random.default_rng(seed)
    # Distinct values (a permutation), so no window has a tie and finite differences of the
    # max never straddle a kink.
    x = (rng.permutation(n * c * h * w).reshape(n, c, h, w) * 0.01 - 3.0).astype(dtype)
    oh, ow = ref_conv.pool2d_output_hw(x.shape, k, s, p)
    gy = rng.standard_normal((n, c, oh, ow)).astype(dtype)
    return x, gy, dict(kernel_size=k, stride=s, padding=p)


def tol(dtype):
    return dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES)
def test_max_pool_matches_reference(geom, dtype):
    x, gy, geo = make(geom, dtype)
    y, idx = nv.ops.max_pool2d(x, **geo)
    ry, ridx = ref_conv.max_pool2d(x, **geo)
    assert y.dtype == dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(y, ry.astype(dtype))
    np.testing.assert_array_equal(idx, ridx)
    gx = nv.ops.max_pool2d_backward(gy, idx, x.shape)
    np.testing.assert_allclose(gx, ref_conv.max_pool2d_backward(gy, ridx, x.shape), **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES)
def test_avg_pool_matches_reference(geom, dtype):
    x, gy, geo = make(geom, dtype)
    y = nv.ops.avg_pool2d(x, **geo)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ref_conv.avg_pool2d(x, **geo), **tol(dtype))
    gx = nv.ops.avg_pool2d_backward(gy, x.shape, **geo)
    np.testing.assert_allclose(gx, ref_conv.avg_pool2d_backward(gy, x.shape, **geo), **tol(dtype))


def test_max_pool_ties_take_the_first_maximum():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 5.0
    y, idx = nv.ops.max_pool2d(x, 2)
    assert y[0, 0, 0, 0] == 5.0 and idx[0, 0, 0, 0] == 1  # (0, 1) comes before (1, 1)
    assert idx[0, 0, 1, 1] == 2 * 4 + 2  # all-zero window: its first element


def test_max_pool_propagates_nan():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0] = np.nan
    y, idx = nv.ops.max_pool2d(x, 2)
    assert np.isnan(y[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 0
    assert y[0, 0, 1, 1] == 15.0


@pytest.mark.parametrize("geom", [GEOMETRIES[2], GEOMETRIES[3]])
def test_backward_matches_finite_differences(geom):
    x, gy, geo = make(geom, np.float64, seed=1)
    eps = 1e-6
    for forward, backward in (
        (
            lambda: nv.ops.max_pool2d(x, **geo)[0],
            lambda: nv.ops.max_pool2d_backward(gy, nv.ops.max_pool2d(x, **geo)[1], x.shape),
        ),
        (lambda: nv.ops.avg_pool2d(x, **geo), lambda: nv.ops.avg_pool2d_backward(gy, x.shape, **geo)),
    ):
        num = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            up = np.sum(gy * forward())
            x[i] = old - eps
            down = np.sum(gy * forward())
            x[i] = old
            num[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(backward(), num, rtol=1e-3, atol=1e-5)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 10, 9, 3)).transpose(0, 3, 2, 1)[:, :, :, ::2]  # (2, 3, 9, 5)
    y, idx = nv.ops.max_pool2d(x, 2)
    ry, ridx = ref_conv.max_pool2d(x, 2)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(idx, ridx)
    gy = np.swapaxes(rng.standard_normal((2, 3, 2, 4)), 2, 3)  # (2, 3, 4, 2), non-contiguous
    np.testing.assert_allclose(
        nv.ops.max_pool2d_backward(gy, idx[..., ::1], x.shape),
        ref_conv.max_pool2d_backward(gy, ridx, x.shape),
        rtol=1e-13,
    )
    np.testing.assert_allclose(nv.ops.avg_pool2d(x, 2), ref_conv.avg_pool2d(x, 2), rtol=1e-13)
    np.testing.assert_allclose(
        nv.ops.avg_pool2d_backward(gy, x.shape, 2), ref_conv.avg_pool2d_backward(gy, x.shape, 2), rtol=1e-13
    )


# The small call stays serial; the large one has enough planes and work that two threads are used
# (pool.cpp's plane_threads). Either way the results are the serial ones, bit for bit.
@pytest.mark.parametrize(
    "geom, seed", [((8, 16, 24, 24, 3, 2, 1), 0), ((16, 16, 48, 48, 3, 2, 1), 4)], ids=["small", "large"]
)
def test_threads_give_the_same_result(geom, seed):
    x, gy, geo = make(geom, np.float64, seed=seed)
    before = nv._C.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            nv.set_num_threads(threads)
            y, idx = nv.ops.max_pool2d(x, **geo)
            results.append(
                [
                    y,
                    idx,
                    nv.ops.max_pool2d_backward(gy, idx, x.shape),
                    nv.ops.avg_pool2d(x, **geo),
                    nv.ops.avg_pool2d_backward(gy, x.shape, **geo),
                ]
            )
    finally:
        nv.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMETRIES)
def test_matches_torch(geom, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, gy, geo = make(geom, dtype, seed=3)
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = F.max_pool2d(tx, **geo, return_indices=True)
    ty.backward(torch.tensor(gy))
    y, idx = nv.ops.max_pool2d(x, **geo)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())
    np.testing.assert_allclose(nv.ops.max_pool2d_backward(gy, idx, x.shape), tx.grad.numpy(), **tol(dtype))
    tx = torch.tensor(x, requires_grad=True)
    ty = F.avg_pool2d(tx, **geo, count_include_pad=True)
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(nv.ops.avg_pool2d(x, **geo), ty.detach().numpy(), **tol(dtype))
    np.testing.assert_allclose(nv.ops.avg_pool2d_backward(gy, x.shape, **geo), tx.grad.numpy(), **tol(dtype))


# ------------------------------------------------------------------ bad inputs
X = np.random.default_rng(4).standard_normal((2, 3, 8, 8))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: nv.ops.max_pool2d(X[0], 2), ValueError, "x must be 4-D"),
        (lambda: nv.ops.avg_pool2d(X[0], 2), ValueError, "x must be 4-D"),
        (lambda: nv.ops.max_pool2d(X, 0), ValueError, "kernel_size"),
        (lambda: nv.ops.max_pool2d(X, 2, stride=0), ValueError, "stride"),
        (lambda: nv.ops.avg_pool2d(X, 2, stride=-1), ValueError, "stride"),
        (lambda: nv.ops.max_pool2d(X, 2, padding=-1), ValueError, "padding"),
        (lambda: nv.ops.max_pool2d(X, 2, padding=2), ValueError, "padding"),
        (lambda: nv.ops.avg_pool2d(X, 9), ValueError, "kernel_size"),
        (lambda: nv.ops.max_pool2d(X.astype(np.int32), 2), TypeError, "x"),
        (lambda: nv.ops.avg_pool2d(X.astype(np.int64), 2), TypeError, "x"),
        (
            lambda: nv.ops.max_pool2d_backward(np.zeros((2, 3, 4, 4)), np.full((2, 3, 4, 4), 64), X.shape),
            ValueError,
            "indices",
        ),
        (
            lambda: nv.ops.max_pool2d_backward(np.zeros((2, 3, 4, 4)), np.full((2, 3, 4, 4), -1), X.shape),
            ValueError,
            "indices",
        ),
        (
            lambda: nv.ops.max_pool2d_backward(np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 4, 4)), X.shape),
            TypeError,
            "indices",
        ),
        (
            lambda: nv.ops.max_pool2d_backward(np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 4, 3), np.int64), X.shape),
            ValueError,
            "indices",
        ),
        (lambda: nv.ops.avg_pool2d_backward(np.zeros((2, 3, 4, 5)), X.shape, 2), ValueError, "grad_y"),
        (lambda: nv.ops.avg_pool2d_backward(np.zeros((2, 3, 4, 4), np.int32), X.shape, 2), TypeError, "grad_y"),
    ],
)
def test_bad_inputs_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ------------------------------------------------------------------ every ISA's vector path
# Windows without padding go through pool_kernels.inc (one output per lane, taken flat across
# rows and planes); the rest stays on the scalar loop. The reference below is that loop's rule,
# tap by tap in row-major order: take v when v > best or v is NaN (so the first maximum wins and
# the last NaN), and the average adds the taps to 0 in order then divides, all in x's dtype.
def exact_pool_reference(x, k, s):
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (kh, kw) if s is None else ((s, s) if isinstance(s, int) else s)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    rows, cols = np.arange(oh) * sh, np.arange(ow) * sw
    best = arg = None
    acc = np.zeros((n, c, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            v = x[:, :, rows[:, None] + i, cols[None, :] + j]
            pos = np.broadcast_to((rows[:, None] + i) * w + cols[None, :] + j, v.shape)
            if best is None:
                best, arg = v.copy(), pos.copy()
            else:
                take = (v > best) | np.isnan(v)
                best, arg = np.where(take, v, best), np.where(take, pos, arg)
            with np.errstate(invalid="ignore"):  # inf + -inf
                acc = acc + v
    return best, arg, acc / x.dtype.type(kh * kw)


# (N, C, H, W, kernel_size, stride): short rows and planes (LeNet's 8x8 and 4x4 maps), rows
# longer than a vector, overlapping windows, strides past the kernel, floor-mode leftovers, and
# output counts that leave a scalar tail on every ISA.
VECTOR_GEOMETRIES = [
    (32, 8, 8, 8, 2, None),
    (32, 16, 4, 4, 2, None),
    (4, 16, 24, 24, 2, None),
    (3, 5, 9, 11, 3, 2),
    (2, 3, 7, 10, (3, 2), (1, 2)),
    (5, 7, 5, 5, 5, None),
    (4, 3, 9, 7, 2, 1),
    (1, 1, 1, 1, 1, None),
    (17, 3, 13, 5, (2, 3), (3, 1)),
    (1, 1, 3, 40, (1, 3), (1, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("values", ["distinct", "ties", "nan_inf"])
@pytest.mark.parametrize("geom", VECTOR_GEOMETRIES)
def test_vector_path_is_exact_on_every_isa(isa, geom, values, dtype):
    n, c, h, w, k, s = geom
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, c, h, w))
    if values == "ties":  # ReLU-like: mostly equal values, as after a ReLU
        x = np.maximum(np.round(x), 0.0)
    elif values == "nan_inf":
        x[rng.random(x.shape) < 0.15] = np.nan
        x[rng.random(x.shape) < 0.15] = -np.inf
        x[rng.random(x.shape) < 0.05] = np.inf
    x = x.astype(dtype)
    ry, ridx, ravg = exact_pool_reference(x, k, s)
    y, idx = nv.ops.max_pool2d(x, k, s)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(idx, ridx)
    np.testing.assert_array_equal(nv.ops.avg_pool2d(x, k, s), ravg)
    if s is None:  # disjoint windows: each element gets at most one gy, so the scatter is exact
        gy = rng.standard_normal(y.shape).astype(dtype)
        gx = ref_conv.max_pool2d_backward(gy, idx, x.shape).astype(dtype)
        np.testing.assert_array_equal(nv.ops.max_pool2d_backward(gy, idx, x.shape), gx)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_path_matches_the_scalar_path_on_every_isa(isa, dtype):
    """The same LeNet batch through the vector path and, with 1-wide padding forcing the
    scalar loop on a zero-padded copy, the same maxima wherever no window touches padding."""
    x = np.maximum(np.random.default_rng(6).standard_normal((32, 8, 8, 8)), 0).astype(dtype)
    y, idx = nv.ops.max_pool2d(x, 3, 1)
    yp, idxp = nv.ops.max_pool2d(x, 3, 1, 1)  # padding: the scalar loop
    np.testing.assert_array_equal(y, yp[:, :, 1:-1, 1:-1])
    np.testing.assert_array_equal(idx, idxp[:, :, 1:-1, 1:-1])


@pytest.mark.parametrize("geom", [(32, 8, 8, 8, 2, None), (4, 3, 24, 24, 2, None), (2, 2, 9, 7, 3, 1)])
def test_bad_indices_are_found_anywhere_on_every_isa(isa, geom):
    """The index check runs as vectors across rows and planes (pool_kernels.inc); a bad index in
    any lane, row or plane must still be reported, with the element-by-element message."""
    n, c, h, w, k, s = geom
    x = np.random.default_rng(7).standard_normal((n, c, h, w))
    _, idx = nv.ops.max_pool2d(x, k, s)
    gy = np.ones(idx.shape)
    nv.ops.max_pool2d_backward(gy, idx, x.shape)  # the real indices pass
    rng = np.random.default_rng(8)
    for _ in range(20):
        where = tuple(int(rng.integers(d)) for d in idx.shape)
        for bad, match in ((h * w, "must lie in"), (-1, "must lie in")):
            broken = idx.copy()
            broken[where] = bad
            with pytest.raises(ValueError, match=match):
                nv.ops.max_pool2d_backward(gy, broken, x.shape)
        oh, ow = where[2], where[3]
        broken = idx.copy()
        if ow > 0:  # a column left of the left neighbour's
            broken[where] = broken[where[:3] + (ow - 1,)] // w * w
            if broken[where] % w < broken[where[:3] + (ow - 1,)] % w:
                with pytest.raises(ValueError, match="left of or above"):
                    nv.ops.max_pool2d_backward(gy, broken, x.shape)
        broken = idx.copy()
        if oh > 0:  # a row above the upper neighbour's
            above = broken[where[:2] + (oh - 1, ow)]
            broken[where] = (above // w - 1) * w + broken[where] % w if above // w > 0 else broken[where]
            if broken[where] // w < above // w:
                with pytest.raises(ValueError, match="left of or above"):
                    nv.ops.max_pool2d_backward(gy, broken, x.shape)

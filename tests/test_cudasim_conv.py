"""The device convolution and pooling kernels (csrc/cuda/conv.cu, pool.cu, bind_conv.cpp) against
the CPU backend's kernels of the same name on the same inputs: conv2d, conv2d_backward,
conv_transpose2d(_backward), max_pool2d(_backward), avg_pool2d(_backward). Shapes are tiny: the
simulator runs every kernel on the CPU, one OS thread per thread of a synchronising block.
"""

from __future__ import annotations

from functools import partial

import cuda_devices
import numpy as np
import pytest
from cuda_devices import tol, up

from neuralviz.backend import CPU

dev = cuda_devices.dev  # the fixture (the simulator, and the GPU where there is one)
DTYPES = [np.float32, np.float64]

# (N, C, H, W), (OC, KH, KW), (sh, sw, ph, pw, dh, dw)
CONV_CASES = [
    ((2, 3, 7, 7), (4, 3, 3), (1, 1, 0, 0, 1, 1)),
    ((2, 2, 9, 8), (3, 3, 2), (2, 2, 1, 1, 1, 1)),  # stride 2, padding, non-square kernel
    ((1, 3, 9, 9), (2, 3, 3), (1, 2, 2, 1, 2, 2)),  # dilation 2, mixed strides
    ((3, 4, 5, 6), (3, 1, 1), (1, 1, 0, 0, 1, 1)),  # 1x1 kernel
    ((2, 2, 6, 5), (2, 2, 3), (3, 2, 0, 1, 1, 1)),  # stride > kernel
]
CONV_IDS = ["3x3", "stride2-pad-2x3", "dilation2", "1x1", "stride3"]


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def close(dev_out, cpu_out, dtype, **loose):
    """A device Tensor (or None) against the CPU's array (or None)."""
    if cpu_out is None:
        assert dev_out is None
        return
    got = dev_out.numpy()
    assert got.shape == cpu_out.shape and got.dtype == cpu_out.dtype
    np.testing.assert_allclose(got, cpu_out, **{**tol(dtype), **loose})


def conv_inputs(case, dtype, seed=0):
    (n, c, h, w), (oc, kh, kw), geo = case
    rng = np.random.default_rng(seed)
    x, wt, b = rand(rng, (n, c, h, w), dtype), rand(rng, (oc, c, kh, kw), dtype), rand(rng, (oc,), dtype)
    return x, wt, b, geo


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv2d_forward_backward(dev, case, dtype):
    x, w, b, geo = conv_inputs(case, dtype)
    y = CPU.conv2d(x, w, b, *geo)
    close(dev.conv2d(up(dev, x), up(dev, w), up(dev, b), *geo), y, dtype)
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    want = CPU.conv2d_backward(x, w, gy, *geo)
    got = dev.conv2d_backward(up(dev, x), up(dev, w), up(dev, gy), *geo)
    assert isinstance(got, tuple) and len(got) == 3
    for g, c in zip(got, want):
        close(g, c, dtype, atol=1e-4 if dtype == np.float32 else 1e-12)  # float32 grad-w: long sums


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_no_bias_and_need_flags(dev, dtype):
    x, w, _, geo = conv_inputs(CONV_CASES[1], dtype)
    close(dev.conv2d(up(dev, x), up(dev, w), None, *geo), CPU.conv2d(x, w, None, *geo), dtype)
    gy = np.random.default_rng(2).standard_normal(CPU.conv2d(x, w, None, *geo).shape).astype(dtype)
    dx, dw, dgy = up(dev, x), up(dev, w), up(dev, gy)
    for flags in [(False, True, True), (True, False, True), (True, True, False), (False, False, True)]:
        want = CPU.conv2d_backward(x, w, gy, *geo, *flags)
        got = dev.conv2d_backward(dx, dw, dgy, *geo, *flags)
        for g, c in zip(got, want):
            close(g, c, dtype, atol=1e-4 if dtype == np.float32 else 1e-12)
    # keywords, as the CPU binding names them
    got = dev.conv2d_backward(dx, dw, dgy, *geo, need_grad_x=False, need_grad_w=False, need_grad_b=False)
    assert got == (None, None, None)


# (N, C, H, W), (OC, KH, KW), (sh, sw, ph, pw, oph, opw, dh, dw)
TRANSPOSE_CASES = [
    ((2, 3, 4, 4), (2, 3, 3), (1, 1, 0, 0, 0, 0, 1, 1)),
    ((2, 2, 3, 4), (3, 3, 2), (2, 2, 1, 0, 1, 1, 1, 1)),  # stride 2, output_padding
    ((1, 2, 4, 3), (2, 2, 3), (1, 2, 1, 1, 1, 0, 2, 2)),  # dilation 2, output_padding >= stride
    ((3, 4, 3, 3), (2, 1, 1), (2, 1, 0, 0, 1, 0, 1, 1)),  # 1x1 kernel
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=["3x3", "stride2-op", "dilation2-op", "1x1"])
def test_conv_transpose2d(dev, case, dtype):
    (n, c, h, w), (oc, kh, kw), geo = case
    rng = np.random.default_rng(3)
    x, wt, b = rand(rng, (n, c, h, w), dtype), rand(rng, (c, oc, kh, kw), dtype), rand(rng, (oc,), dtype)
    dx, dw = up(dev, x), up(dev, wt)
    for bias in (b, None):
        y = CPU.conv_transpose2d(x, wt, bias, *geo)
        close(dev.conv_transpose2d(dx, dw, None if bias is None else up(dev, bias), *geo), y, dtype)
    gy = rand(rng, y.shape, dtype)
    for flags in [(True, True, True), (False, True, False), (True, False, True)]:
        want = CPU.conv_transpose2d_backward(x, wt, gy, *geo, *flags)
        got = dev.conv_transpose2d_backward(dx, dw, up(dev, gy), *geo, *flags)
        for g, cpu in zip(got, want):
            close(g, cpu, dtype, atol=1e-4 if dtype == np.float32 else 1e-12)


def test_conv_bad_geometry(dev):
    x, w = np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3))
    dx, dw = up(dev, x), up(dev, w)
    with pytest.raises(ValueError, match="conv2d: x has 2 channels but w expects 3"):
        dev.conv2d(up(dev, np.zeros((1, 2, 5, 5))), dw, None, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="conv2d: the kernel extent"):
        dev.conv2d(dx, dw, None, 1, 1, 0, 0, 3, 3)
    with pytest.raises(ValueError, match="conv2d: stride must be >= 1"):
        dev.conv2d(dx, dw, None, 0, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="conv2d: b must have shape"):
        dev.conv2d(dx, dw, up(dev, np.zeros(3)), 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="conv2d_backward: grad_y must have shape"):
        dev.conv2d_backward(dx, dw, up(dev, np.zeros((1, 2, 4, 4))), 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="conv2d: w is float32"):
        dev.conv2d(dx, up(dev, w.astype(np.float32)), None, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="conv_transpose2d: x has 3 channels but w expects 2"):
        dev.conv_transpose2d(dx, dw, None, 1, 1, 0, 0, 0, 0, 1, 1)
    wt = up(dev, np.zeros((3, 2, 3, 3)))
    with pytest.raises(ValueError, match="conv_transpose2d: output_padding"):
        dev.conv_transpose2d(dx, wt, None, 1, 1, 0, 0, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="conv_transpose2d_backward: the output size"):
        dev.conv_transpose2d_backward(up(dev, np.zeros((1, 3, 1, 1))), wt, dx, 1, 1, 2, 2, 0, 0, 1, 1)


# (N, C, H, W), (kh, kw, sh, sw, ph, pw)
POOL_CASES = [
    ((2, 3, 6, 6), (2, 2, 2, 2, 0, 0)),
    ((2, 2, 7, 9), (3, 3, 2, 2, 1, 1)),  # overlapping windows, padding
    ((1, 3, 8, 7), (3, 2, 1, 2, 0, 1)),  # stride != kernel, non-square
    ((3, 2, 5, 5), (2, 2, 3, 3, 1, 0)),  # stride > kernel
    ((1, 2, 7, 8), (3, 3, 1, 1, 1, 1)),  # stride 1: up to 9 outputs pick one pixel
]
POOL_IDS = ["2x2", "3x3s2p1", "3x2s1x2", "stride3", "3x3s1p1"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_max_pool2d(dev, case, dtype):
    shape, geo = case
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 3, size=shape).astype(dtype)  # few values: ties in most windows
    x.flat[::7] = np.nan
    x.flat[3::11] = -np.inf
    y, idx = CPU.max_pool2d(x, *geo)
    dy, didx = dev.max_pool2d(up(dev, x), *geo)
    np.testing.assert_array_equal(dy.numpy(), y)  # same taps, same rule: bit-identical, NaN included
    assert didx.numpy().dtype == np.int64
    np.testing.assert_array_equal(didx.numpy(), idx)
    gy = rand(rng, y.shape, dtype)
    want = CPU.max_pool2d_backward(gy, idx, *shape[2:])
    got = dev.max_pool2d_backward(up(dev, gy), didx, *shape[2:])
    np.testing.assert_array_equal(got.numpy(), want)  # the CPU's order of additions
    flat = np.zeros(shape, dtype)  # every window ties: runs of equal indices along the rows
    y, idx = CPU.max_pool2d(flat, *geo)
    got = dev.max_pool2d_backward(up(dev, gy), dev.max_pool2d(up(dev, flat), *geo)[1], *shape[2:])
    np.testing.assert_array_equal(got.numpy(), CPU.max_pool2d_backward(gy, idx, *shape[2:]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_avg_pool2d(dev, case, dtype):
    shape, geo = case
    rng = np.random.default_rng(5)
    x = rand(rng, shape, dtype)
    y = CPU.avg_pool2d(x, *geo)
    # the CPU's order of additions: bit-identical on the simulator; a GPU may fuse a multiply and an add
    # (FMA) in the backward's sum and round once less, so there the last bit may differ
    same = np.testing.assert_array_equal if dev.simulated else partial(np.testing.assert_allclose, rtol=1e-6)
    same(dev.avg_pool2d(up(dev, x), *geo).numpy(), y)
    gy = rand(rng, y.shape, dtype)
    want = CPU.avg_pool2d_backward(gy, *shape[2:], *geo)
    same(dev.avg_pool2d_backward(up(dev, gy), *shape[2:], *geo).numpy(), want)


def test_pool_bad_input(dev):
    x = up(dev, np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="max_pool2d: kernel_size .* is larger than the padded input"):
        dev.max_pool2d(x, 5, 5, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="avg_pool2d: padding .* at most half"):
        dev.avg_pool2d(x, 2, 2, 1, 1, 2, 0)
    with pytest.raises(ValueError, match="avg_pool2d_backward: grad_y must have shape"):
        dev.avg_pool2d_backward(up(dev, np.zeros((1, 2, 3, 3))), 4, 4, 2, 2, 2, 2, 0, 0)
    gy = up(dev, np.ones((1, 2, 2, 2)))
    with pytest.raises(ValueError, match="max_pool2d_backward: indices must have shape"):
        dev.max_pool2d_backward(gy, up(dev, np.zeros((1, 2, 2, 3), np.int64)), 4, 4)
    with pytest.raises(ValueError, match=r"max_pool2d_backward: indices must lie in \[0, H\*W\)"):
        dev.max_pool2d_backward(gy, up(dev, np.full((1, 2, 2, 2), 16, np.int64)), 4, 4)
    bad = np.array([[[[5, 0], [8, 10]]] * 2], np.int64)  # column 0 right of column 1
    with pytest.raises(ValueError, match="max_pool2d_backward: indices do not come from max_pool2d"):
        dev.max_pool2d_backward(gy, up(dev, bad), 4, 4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("images", [1, 2])
def test_conv_chunks(dev, monkeypatch, dtype, images):
    """A workspace budget of 1 or 2 images per pass (3 images: an uneven last chunk): chunk
    offsets, and the weight gradient accumulated over chunks (GEMM beta = 1). The 2-image runs
    also take the 64-bit index path (NVZ_CONV_INDEX64), which real sizes only reach past 2^30."""
    if images == 2:
        monkeypatch.setenv("NVZ_CONV_INDEX64", "1")
    (n, c, h, w), (oc, kh, kw), geo = ((3, 2, 6, 5), (3, 3, 2), (2, 1, 1, 0, 1, 1))
    oh, ow = (h + 2 * geo[2] - kh) // geo[0] + 1, (w + 2 * geo[3] - kw) // geo[1] + 1
    per_image = (c * kh * kw + oc) * oh * ow * np.dtype(dtype).itemsize
    monkeypatch.setenv("NVZ_CONV_WORKSPACE_BYTES", str(images * per_image))
    rng = np.random.default_rng(6)
    x, wt, b = rand(rng, (n, c, h, w), dtype), rand(rng, (oc, c, kh, kw), dtype), rand(rng, (oc,), dtype)
    y = CPU.conv2d(x, wt, b, *geo)
    close(dev.conv2d(up(dev, x), up(dev, wt), up(dev, b), *geo), y, dtype)
    gy = rand(rng, y.shape, dtype)
    got = dev.conv2d_backward(up(dev, x), up(dev, wt), up(dev, gy), *geo)
    for g, cpu in zip(got, CPU.conv2d_backward(x, wt, gy, *geo)):
        close(g, cpu, dtype, atol=1e-4 if dtype == np.float32 else 1e-12)
    tgeo = (2, 1, 1, 0, 1, 0, 1, 1)
    wt2 = rand(rng, (c, oc, kh, kw), dtype)
    yt = CPU.conv_transpose2d(x, wt2, b, *tgeo)
    close(dev.conv_transpose2d(up(dev, x), up(dev, wt2), up(dev, b), *tgeo), yt, dtype)
    gyt = rand(rng, yt.shape, dtype)
    got = dev.conv_transpose2d_backward(up(dev, x), up(dev, wt2), up(dev, gyt), *tgeo)
    for g, cpu in zip(got, CPU.conv_transpose2d_backward(x, wt2, gyt, *tgeo)):
        close(g, cpu, dtype, atol=1e-4 if dtype == np.float32 else 1e-12)


def test_conv_huge_stride_and_empty_batch(dev):
    """A stride or dilation of 2^40 that only ever multiplies 0 (one output row, a kernel of
    height 1): the 64-bit index path; and N = 0 (empty outputs, zero weight and bias gradients)."""
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((3, 2, 1, 2))
    geo = (2**40, 1, 0, 0, 2**41, 1)
    y = CPU.conv2d(x, w, None, *geo)
    close(dev.conv2d(up(dev, x), up(dev, w), None, *geo), y, np.float64)
    gy = rng.standard_normal(y.shape)
    for g, cpu in zip(
        dev.conv2d_backward(up(dev, x), up(dev, w), up(dev, gy), *geo), CPU.conv2d_backward(x, w, gy, *geo)
    ):
        close(g, cpu, np.float64)
    xt, wt, tgeo = (
        rng.standard_normal((2, 2, 1, 3)),
        rng.standard_normal((2, 3, 1, 2)),
        (2**40, 1, 0, 0, 0, 0, 2**41, 1),
    )
    yt = CPU.conv_transpose2d(xt, wt, None, *tgeo)
    close(dev.conv_transpose2d(up(dev, xt), up(dev, wt), None, *tgeo), yt, np.float64)
    gyt = rng.standard_normal(yt.shape)
    got = dev.conv_transpose2d_backward(up(dev, xt), up(dev, wt), up(dev, gyt), *tgeo)
    for g, cpu in zip(got, CPU.conv_transpose2d_backward(xt, wt, gyt, *tgeo)):
        close(g, cpu, np.float64)
    x0, gy0 = np.zeros((0, 2, 3, 4)), np.zeros((0, 3, 3, 3))
    got = dev.conv2d_backward(up(dev, x0), up(dev, w), up(dev, gy0), 1, 1, 0, 0, 1, 1)
    for g, cpu in zip(got, CPU.conv2d_backward(x0, w, gy0, 1, 1, 0, 0, 1, 1)):
        close(g, cpu, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_gradient_split_over_blocks(dev, dtype):
    """N*P = 3 * 11000 values per channel: the bias gradient's sum is split over two blocks per
    channel (ranges that end mid-image), then the partials are added in order."""
    rng = np.random.default_rng(8)
    x, w, gy = rand(rng, (3, 1, 100, 110), dtype), rand(rng, (2, 1, 1, 1), dtype), rand(rng, (3, 2, 100, 110), dtype)
    flags = (False, False, True)
    got = dev.conv2d_backward(up(dev, x), up(dev, w), up(dev, gy), 1, 1, 0, 0, 1, 1, *flags)
    want = CPU.conv2d_backward(x, w, gy, 1, 1, 0, 0, 1, 1, *flags)
    assert got[:2] == (None, None)
    close(got[2], want[2], dtype, rtol=1e-3 if dtype == np.float32 else 1e-10)  # 33000-term sums

"""The device GEMM (csrc/cuda/gemm.cu) on every tile path, through `matmul`, `linear_forward` and,
where the module has it, `gemm_` (alpha, beta, in place).

gemm.cu has two float paths: gemm_128 (128x128 tiles, float4 loads) and gemm_64; the size rule
sends every product small enough for the simulator to gemm_64, so the float32 cases pin the path
with NVZ_GEMM_TILE. The shapes hit full and edge tiles, K below the panel depth (8), M or N = 1,
odd leading dimensions (scalar loads) and multiples of 4 (float4 loads), in all four transposes.
"""

from __future__ import annotations

import cuda_devices
import numpy as np
import pytest
from cuda_devices import tol, up

dev = cuda_devices.dev  # the fixture (the simulator, and the GPU where there is one)

# (m, n, k, trans_a, trans_b): ~25 shapes, not the cross product
SHAPES = [
    (1, 1, 1, False, False),
    (1, 200, 63, False, True),  # M = 1
    (129, 1, 64, True, False),  # N = 1
    (3, 7, 5, True, True),  # K < BK
    (8, 8, 8, False, False),
    (128, 128, 8, False, False),  # one full tile, one k-step, float4 loads
    (128, 128, 128, True, True),
    (128, 128, 128, False, True),
    (128, 128, 128, True, False),
    (64, 64, 64, False, False),
    (63, 65, 7, False, False),  # odd leading dimensions: scalar loads
    (65, 63, 129, True, False),
    (127, 129, 3, False, True),
    (129, 127, 200, True, True),
    (200, 200, 64, False, False),  # float4 loads inside, scalar on the edge tiles
    (256, 136, 40, True, False),
    (200, 129, 127, False, True),
    (64, 200, 65, True, True),
    (8, 128, 129, False, False),
    (300, 260, 36, False, True),  # 3 x 3 blocks of 128
    (130, 4, 12, False, False),  # N = 4: one float4 store per row
    (4, 130, 12, True, True),
    (100, 100, 1, False, False),
    (257, 3, 9, True, False),
]
DTYPES = [np.float32, np.float64]


def operands(m, n, k, ta, tb, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b


def op(x, trans):
    return (x.T if trans else x).astype(np.float64)


def check(got, a, b, ta, tb, dtype, alpha=1.0, beta=0.0, c=None):
    """got against alpha op(a) op(b) + beta c computed in float64, with tol(dtype)."""
    opa, opb = op(a, ta), op(b, tb)
    ref = alpha * (opa @ opb)
    if c is not None and beta != 0.0:
        ref += beta * c.astype(np.float64)
    assert got.dtype == dtype and got.shape == ref.shape
    t = tol(dtype)
    if dtype != np.float32 or opa.shape[1] < 128:
        np.testing.assert_allclose(got, ref, **t)
        return
    # float32 with K >= 128: the rounding error grows with K and with sum_k |a||b|, not with the
    # result (which cancels), so rtol applies to |alpha| |op(a)| |op(b)| + |beta c|
    scale = abs(alpha) * (np.abs(opa) @ np.abs(opb))
    if c is not None and beta != 0.0:
        scale += abs(beta) * np.abs(c.astype(np.float64))
    bad = np.abs(got - ref) > t["atol"] + t["rtol"] * scale
    assert not bad.any(), f"{bad.sum()} of {bad.size} wrong, max error {np.abs(got - ref).max()}"


@pytest.fixture
def pin(monkeypatch):
    """Pins gemm.cu's float path: pin('128') or pin('64')."""
    return lambda tile: monkeypatch.setenv("NVZ_GEMM_TILE", tile)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,k,ta,tb", SHAPES)
def test_matmul_shapes(dev, pin, m, n, k, ta, tb, dtype):
    pin("128")  # float32 on gemm_128; float64 always takes gemm_64
    a, b = operands(m, n, k, ta, tb, dtype)
    check(dev.matmul(up(dev, a), up(dev, b), ta, tb).numpy(), a, b, ta, tb, dtype)


@pytest.mark.parametrize("m,n,k,ta,tb", [SHAPES[i] for i in (3, 7, 11, 14, 17)])
def test_float_paths_agree(dev, pin, m, n, k, ta, tb):
    """gemm_64 for float32 (and the unpinned size rule, which picks it here) matches gemm_128."""
    a, b = operands(m, n, k, ta, tb, np.float32, seed=1)
    da, db = up(dev, a), up(dev, b)
    got = {}
    for tile in ("64", "128", "auto"):
        pin(tile)
        got[tile] = dev.matmul(da, db, ta, tb).numpy()
    check(got["64"], a, b, ta, tb, np.float32)
    # both sum over k in the same order: only float rounding (FMA contraction) may differ
    np.testing.assert_allclose(got["128"], got["64"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got["auto"], got["64"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, True)])
def test_matmul_k_zero_is_zeros(dev, pin, dtype, ta, tb):
    pin("128")
    a, b = operands(5, 130, 0, ta, tb, dtype)
    got = dev.matmul(up(dev, a), up(dev, b), ta, tb).numpy()
    np.testing.assert_array_equal(got, np.zeros((5, 130), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile", ["64", "128"])
def test_linear_forward(dev, pin, dtype, tile):
    """y = x wᵀ + b: the (False, True) product with a bias, as the dense layer calls it."""
    pin(tile)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((150, 67)).astype(dtype)
    w = rng.standard_normal((131, 67)).astype(dtype)
    bias = rng.standard_normal(131).astype(dtype)
    got = dev.linear_forward(up(dev, x), up(dev, w), up(dev, bias)).numpy()
    ones = np.ones((150, 1))
    # bias as an extra column of x and row of w, so check() applies one tolerance to both
    check(got, np.hstack([x, ones]), np.hstack([w, bias[:, None]]), False, True, dtype)


# ------------------------------------------------------------ gemm_: alpha, beta, in place
def run_gemm_(dev, ta, tb, alpha, a, b, beta, c):
    """dev.gemm_ mirrors the CPU's _C.gemm_ (c updated in place, returns None); tests skip
    until the binding exists."""
    if not hasattr(dev, "gemm_"):
        pytest.skip("the device module has no gemm_ binding")
    dc = up(dev, c)
    assert dev.gemm_(ta, tb, alpha, up(dev, a), up(dev, b), beta, dc) is None
    return dc.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile", ["64", "128"])
@pytest.mark.parametrize(
    "m,n,k,ta,tb,alpha,beta",
    [
        (129, 130, 17, False, False, 0.5, 2.0),
        (128, 128, 16, True, True, -1.5, 1.0),
        (63, 200, 9, False, True, 2.0, -0.5),
        (200, 7, 64, True, False, 1.0, 1.0),
    ],
)
def test_gemm_alpha_beta(dev, pin, dtype, tile, m, n, k, ta, tb, alpha, beta):
    pin(tile)
    a, b = operands(m, n, k, ta, tb, dtype, seed=3)
    c = np.random.default_rng(4).standard_normal((m, n)).astype(dtype)
    got = run_gemm_(dev, ta, tb, alpha, a, b, beta, c)
    check(got, a, b, ta, tb, dtype, alpha=alpha, beta=beta, c=c)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile", ["64", "128"])
def test_gemm_beta_zero_ignores_nan_in_c(dev, pin, dtype, tile):
    """beta == 0 must not read C (BLAS semantics): NaN garbage there must not leak through."""
    pin(tile)
    a, b = operands(130, 129, 20, False, True, dtype, seed=5)
    c = np.full((130, 129), np.nan, dtype)
    got = run_gemm_(dev, False, True, 1.5, a, b, 0.0, c)
    check(got, a, b, False, True, dtype, alpha=1.5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_k_zero_scales_c(dev, dtype):
    a, b = operands(6, 9, 0, False, False, dtype)
    c = np.arange(54, dtype=dtype).reshape(6, 9)
    np.testing.assert_array_equal(run_gemm_(dev, False, False, 1.0, a, b, -2.0, c), -2.0 * c)
    nan = np.full((6, 9), np.nan, dtype)
    np.testing.assert_array_equal(run_gemm_(dev, False, False, 1.0, a, b, 0.0, nan), 0 * c)


# ------------------------------------------------------------ split-K
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile", ["64", "128"])
@pytest.mark.parametrize("splits", ["2", "3", "7"])
@pytest.mark.parametrize(
    "m,n,k,ta,tb,alpha,beta",
    [
        (9, 70, 100, False, False, 1.0, 0.0),  # the last slice shorter than the others
        (130, 5, 64, True, True, -1.5, 1.0),
        (33, 17, 200, False, True, 2.0, -0.5),
        (4, 8, 20, True, False, 1.0, 1.0),  # fewer k than the slices asked for: 2 of 16
    ],
)
def test_split_k(dev, pin, monkeypatch, dtype, tile, splits, m, n, k, ta, tb, alpha, beta):
    """NVZ_GEMM_SPLITK=N forces N slices along K (whole multiples of 16; fewer where K is short),
    each tile path multiplying its slice into the workspace, then the ordered sum with alpha/beta."""
    pin(tile)
    monkeypatch.setenv("NVZ_GEMM_SPLITK", splits)
    a, b = operands(m, n, k, ta, tb, dtype, seed=6)
    c = np.random.default_rng(7).standard_normal((m, n)).astype(dtype)
    got = run_gemm_(dev, ta, tb, alpha, a, b, beta, c)
    check(got, a, b, ta, tb, dtype, alpha=alpha, beta=beta, c=c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_split_k_beta_zero_ignores_nan_in_c(dev, monkeypatch, dtype):
    monkeypatch.setenv("NVZ_GEMM_SPLITK", "3")
    a, b = operands(20, 30, 80, False, True, dtype, seed=8)
    got = run_gemm_(dev, False, True, 1.5, a, b, 0.0, np.full((20, 30), np.nan, dtype))
    check(got, a, b, False, True, dtype, alpha=1.5)


def test_thin_product_with_long_k_splits_by_itself(dev, monkeypatch):
    """A convolution weight gradient's shape (few outputs, K = batch x pixels) is split without being
    asked: one launch for the slices, one for their sum; the same result as unsplit to rounding."""
    monkeypatch.delenv("NVZ_GEMM_SPLITK", raising=False)
    a, b = operands(16, 24, 4096, False, True, np.float32, seed=9)
    da, db = up(dev, a), up(dev, b)
    dev.reset_transfer_stats()
    split = dev.matmul(da, db, False, True).numpy()
    assert dev.transfer_stats()["launches"] == 2
    check(split, a, b, False, True, np.float32)
    monkeypatch.setenv("NVZ_GEMM_SPLITK", "0")
    dev.reset_transfer_stats()
    whole = dev.matmul(da, db, False, True).numpy()
    assert dev.transfer_stats()["launches"] == 1
    np.testing.assert_allclose(split, whole, rtol=1e-4, atol=1e-4)

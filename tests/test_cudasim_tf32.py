"""The device GEMM's opt-in TF32 tensor-core path (gemm.cu's gemm_tf32, WMMA through csrc/cuda/wmma.h).

TF32 rounds every input to a 10-bit mantissa (cvt.rna: to nearest, ties away from zero) and multiplies
exactly, accumulating in float. So rather than hold the kernel to a loose tolerance against the exact
product (which a wrong index in an edge tile could slip under), the tests round the inputs in numpy the
same way, `tf32()` below, and hold the kernel to float accumulation error (1e-5 of sum |a||b|) against
that; the exact product must then differ, which shows the path was taken. In the simulator each thread's
WMMA fragment holds the whole tile (32x redundant), so the shapes stay small.
"""

from __future__ import annotations

import cuda_devices
import numpy as np
import pytest
from cuda_devices import up

dev = cuda_devices.dev  # the fixture (the simulator both ways, and the GPU where there is one)

TRANSPOSES = [(False, False), (False, True), (True, False), (True, True)]
# (m, n, k): one element; ragged in every axis (scalar loads, K below the 16-deep panel); two row
# tiles with a ragged K; one full 128x128 tile with float4 loads; two column tiles, 3 k-steps;
# 3 x 3 tiles; odd leading dimensions over 9 k-steps
SHAPES = [(1, 1, 1), (17, 33, 9), (130, 70, 45), (128, 128, 128), (20, 136, 48), (257, 260, 33), (63, 65, 137)]
RTOL = 1e-5  # of alpha sum |a||b| + |beta c|: float accumulation over K <= 137 stays well inside


def tf32(x: np.ndarray) -> np.ndarray:
    """x (float32) rounded as cvt.rna.tf32.f32: to nearest, ties away from zero, 10 mantissa bits;
    inf and NaN unchanged. As bits: add half the dropped part's unit to the magnitude, clear it."""
    x = np.asarray(x, np.float32)
    bits = x.view(np.uint32)
    rounded = ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)
    return np.where(np.isfinite(x), rounded, x)


@pytest.fixture
def tf32_on(dev, monkeypatch):
    """TF32 on for the test (the switch is process-wide: always switched back off)."""
    monkeypatch.delenv("NVZ_TF32", raising=False)
    dev.set_tf32(True)
    yield
    dev.set_tf32(False)


def operands(m, n, k, ta, tb, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b


def op(x, trans):
    return x.T if trans else x


def check_tf32(got, a, b, ta, tb, alpha=1.0, beta=0.0, c=None):
    """got against alpha tf32(op(a)) tf32(op(b)) + beta c in float64, to RTOL of the terms' size."""
    opa, opb = (tf32(op(x, t)).astype(np.float64) for x, t in ((a, ta), (b, tb)))
    ref = alpha * (opa @ opb)
    scale = abs(alpha) * (np.abs(opa) @ np.abs(opb))
    if beta != 0.0:
        ref += beta * c.astype(np.float64)
        scale += abs(beta) * np.abs(c.astype(np.float64))
    assert got.dtype == np.float32 and got.shape == ref.shape
    err = np.abs(got - ref)
    bad = ~(err <= RTOL * scale + 1e-30)  # NaN counts as bad
    assert not bad.any(), (
        f"{bad.sum()} of {bad.size} entries off the TF32 reference; first at {np.argwhere(bad)[0]}, "
        f"max error {np.nanmax(err):.3g}"
    )


def test_off_by_default(dev, monkeypatch):
    """Off unless switched on: float products then match the exact product to float rounding."""
    monkeypatch.delenv("NVZ_TF32", raising=False)
    assert dev.tf32() is False
    a, b = operands(17, 33, 45, False, False)
    got = dev.matmul(up(dev, a), up(dev, b), False, False).numpy()
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)


def test_switch_and_environment(dev, monkeypatch):
    """set_tf32 and NVZ_TF32=1 (read per call) both turn it on, to the same kernel."""
    monkeypatch.delenv("NVZ_TF32", raising=False)
    a, b = operands(17, 33, 45, False, True, seed=1)
    da, db = up(dev, a), up(dev, b)
    try:
        dev.set_tf32(True)
        assert dev.tf32() is True
        by_switch = dev.matmul(da, db, False, True).numpy()
    finally:
        dev.set_tf32(False)
    assert dev.tf32() is False
    monkeypatch.setenv("NVZ_TF32", "1")
    assert dev.tf32() is True
    by_env = dev.matmul(da, db, False, True).numpy()
    monkeypatch.setenv("NVZ_TF32", "0")
    assert dev.tf32() is False
    np.testing.assert_array_equal(by_env, by_switch)
    check_tf32(by_switch, a, b, False, True)


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", SHAPES)
def test_matmul_matches_tf32_reference(dev, tf32_on, m, n, k, ta, tb):
    a, b = operands(m, n, k, ta, tb, seed=m + n + k)
    got = dev.matmul(up(dev, a), up(dev, b), ta, tb).numpy()
    check_tf32(got, a, b, ta, tb)
    if k >= 9:  # the TF32 path was taken: the exact product is ~1e-3 away, far beyond RTOL
        exact = op(a, ta).astype(np.float64) @ op(b, tb)
        assert np.abs(got - exact).max() > 1e-4 * np.sqrt(k)


def test_input_rounding_is_rna(dev, tf32_on):
    """Inputs round to nearest with ties away from zero (not to even, not truncated); inf and NaN pass:
    a (6, 1) @ (1, 1) product with b = 1 shows each rounded a."""
    tie = 1 + 2.0**-11  # halfway between 1 and 1 + 2^-10: ties-to-even would give 1
    # and 1 + 2^-10 - 2^-23 rounds up, where truncation (what mma does to unconverted inputs) gives 1
    a = np.array([[tie], [-tie], [tie - 2.0**-23], [1 + 2.0**-10 - 2.0**-23], [np.inf], [np.nan]], np.float32)
    got = dev.matmul(up(dev, a), up(dev, np.ones((1, 1), np.float32)), False, False).numpy()[:, 0]
    want = np.array([1 + 2.0**-10, -(1 + 2.0**-10), 1.0, 1 + 2.0**-10, np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(tf32(a[:, 0]), want)  # the reference rounds the same way


@pytest.mark.parametrize(
    "m,n,k,ta,tb,alpha,beta",
    [
        (17, 33, 9, False, False, 0.5, 2.0),
        (130, 20, 24, True, True, -1.5, 1.0),
        (33, 129, 16, False, True, 2.0, -0.5),
        (40, 17, 33, True, False, 1.0, 1.0),
    ],
)
def test_gemm_alpha_beta(dev, tf32_on, m, n, k, ta, tb, alpha, beta):
    a, b = operands(m, n, k, ta, tb, seed=3)
    c = np.random.default_rng(4).standard_normal((m, n)).astype(np.float32)
    dc = up(dev, c)
    assert dev.gemm_(ta, tb, alpha, up(dev, a), up(dev, b), beta, dc) is None
    check_tf32(dc.numpy(), a, b, ta, tb, alpha, beta, c)


def test_gemm_beta_zero_ignores_nan_in_c(dev, tf32_on):
    """beta == 0 never reads C (BLAS semantics): NaN there must not leak through."""
    a, b = operands(130, 33, 20, False, True, seed=5)
    dc = up(dev, np.full((130, 33), np.nan, np.float32))
    dev.gemm_(False, True, 1.5, up(dev, a), up(dev, b), 0.0, dc)
    check_tf32(dc.numpy(), a, b, False, True, alpha=1.5)


def test_k_zero(dev, tf32_on):
    a, b = operands(5, 130, 0, False, False)
    got = dev.matmul(up(dev, a), up(dev, b), False, False).numpy()
    np.testing.assert_array_equal(got, np.zeros((5, 130), np.float32))
    c = np.arange(54, dtype=np.float32).reshape(6, 9)
    a, b = operands(6, 9, 0, True, True)
    dc = up(dev, c)
    dev.gemm_(True, True, 1.0, up(dev, a), up(dev, b), -2.0, dc)
    np.testing.assert_array_equal(dc.numpy(), -2.0 * c)


def test_double_is_unaffected(dev, tf32_on):
    """float64 never takes TF32: full double precision with the switch on."""
    a, b = operands(130, 70, 45, True, False, dtype=np.float64)
    got = dev.matmul(up(dev, a), up(dev, b), True, False).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, a.T @ b, rtol=1e-10, atol=1e-12)


def test_linear_forward(dev, tf32_on):
    """The dense layer's product (x wᵀ + b) takes the TF32 path too."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((20, 37)).astype(np.float32), rng.standard_normal((19, 37)).astype(np.float32)
    bias = rng.standard_normal(19).astype(np.float32)
    got = dev.linear_forward(up(dev, x), up(dev, w), up(dev, bias)).numpy()
    ref = tf32(x).astype(np.float64) @ tf32(w).T.astype(np.float64) + bias
    scale = np.abs(tf32(x)).astype(np.float64) @ np.abs(tf32(w)).T + np.abs(bias)
    assert (np.abs(got - ref) <= RTOL * scale).all()


@pytest.mark.parametrize("ta,tb", TRANSPOSES)
def test_split_k_slices_on_tensor_cores(dev, tf32_on, monkeypatch, ta, tb):
    """Split-K (NVZ_GEMM_SPLITK=3: three K slices, then their ordered sum) on the TF32 kernel."""
    monkeypatch.setenv("NVZ_GEMM_SPLITK", "3")
    a, b = operands(40, 70, 100, ta, tb, seed=11)
    c = np.random.default_rng(12).standard_normal((40, 70)).astype(np.float32)
    dc = up(dev, c)
    dev.gemm_(ta, tb, 0.5, up(dev, a), up(dev, b), 2.0, dc)
    check_tf32(dc.numpy(), a, b, ta, tb, alpha=0.5, beta=2.0, c=c)

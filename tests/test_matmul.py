"""nv.ops.matmul and the GEMM kernel behind it (csrc/cpu/gemm*.{h,cpp}).

The oracle is numpy in float64. Errors are bounded elementwise by
    |ours - ref| <= eps * sqrt(K) * (|op(a)| @ |op(b)|)  (+ the same for beta * C),
the usual forward-error scale of a K-term dot product, so cancellation cannot hide a
wrong element behind a large one. Every test that computes runs on every instruction
set (`isa` fixture). Shapes sit around the register tiles (4/6/12 rows by 4 to 32
columns, per ISA and dtype) and the cache blocks, where the edge code lives.
alpha/beta are only reachable from C++, through the private in-place helper _C.gemm_.
"""

import concurrent.futures

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralviz as nv
from neuralviz import _C

DTYPES = [np.float32, np.float64]
EPS = {np.float32: 1e-5, np.float64: 1e-13}
TRANS = [(False, False), (True, False), (False, True), (True, True)]
TRANS_IDS = ["NN", "TN", "NT", "TT"]

# (M, K, N): each row exercises an edge of the blocking
SHAPES = [
    (1, 1, 1),  # everything 1
    (1, 32, 128),  # batch-1 matvec (recurrent step): wide one-row tiles
    (1, 7, 5),  # one row narrower than a vector: computed as C^T
    (5, 3, 1),  # N = 1: computed transposed, stored column-wise
    (3, 300, 2),  # N = 2 < M, long K
    (2, 17, 3),  # tiny, both narrow
    (6, 16, 16),  # exactly one AVX2 float tile
    (7, 13, 17),  # one past the tile in every direction
    (11, 9, 31),  # primes just under AVX-512 / AVX2 tile sizes
    (12, 33, 32),  # AVX-512 float tile, ragged K
    (13, 64, 65),
    (23, 5, 100),  # small-M path with a ragged last row block
    (25, 70, 47),
    (32, 128, 512),  # LSTM step shape
    (37, 41, 43),  # just past the small-M path on AVX2: packed A
    (73, 19, 9),  # past the AVX-512 float64 limit (72 rows; float32 reads A in place to 132), narrow N
    (97, 101, 103),  # packed path, ragged everywhere
    (130, 257, 66),  # two M blocks, two K blocks
    (8, 600, 24),  # three K blocks: later blocks accumulate onto the first
]
SHAPE_IDS = ["x".join(map(str, s)) for s in SHAPES]


def operands(M, K, N, dtype, ta, tb, rng):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    return a, b


def op(x, t):
    return x.T if t else x


def assert_gemm_close(ours, a, b, ta, tb, dtype, alpha=1.0, beta=0.0, c0=None, what=""):
    """ours ~= alpha op(a) op(b) + beta c0 elementwise, computed in float64."""
    A = op(a, ta).astype(np.float64)
    B = op(b, tb).astype(np.float64)
    ref = alpha * (A @ B)
    scale = abs(alpha) * (np.abs(A) @ np.abs(B))
    if beta != 0.0:
        ref = ref + beta * c0.astype(np.float64)
        scale = scale + abs(beta) * np.abs(c0.astype(np.float64))
    K = A.shape[1]
    tol = EPS[dtype] * np.sqrt(max(K, 1)) * scale + np.finfo(dtype).tiny
    assert ours.dtype == dtype, what
    assert ours.shape == ref.shape, what
    err = np.abs(ours.astype(np.float64) - ref)
    bad = ~(err <= tol)  # also catches NaN
    if bad.any():
        i, j = np.argwhere(bad)[0]
        pytest.fail(
            f"{what}: {bad.sum()} of {bad.size} elements off, first at ({i}, {j}): "
            f"ours {ours[i, j]!r}, reference {ref[i, j]!r}, tolerance {tol[i, j]:.3g}"
        )


# ------------------------------------------------------------------------- nv.ops.matmul
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("ta,tb", TRANS, ids=TRANS_IDS)
def test_matmul_matches_numpy(isa, dtype, ta, tb):
    rng = np.random.default_rng(1)
    for M, K, N in SHAPES:
        a, b = operands(M, K, N, dtype, ta, tb, rng)
        c = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
        assert_gemm_close(c, a, b, ta, tb, dtype, what=f"{isa} M,K,N={M},{K},{N} ta={ta} tb={tb}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize(
    "M,K,N", [(200, 20, 2100), (40, 9, 1100), (5, 2, 3000)], ids=["2-col-blocks", "2-col-blocks-f64", "wide-small-m"]
)
def test_matmul_wide_n_crosses_column_blocks(isa, dtype, M, K, N):
    rng = np.random.default_rng(2)
    for ta, tb in TRANS:
        a, b = operands(M, K, N, dtype, ta, tb, rng)
        c = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
        assert_gemm_close(c, a, b, ta, tb, dtype, what=f"{isa} {M},{K},{N} ta={ta} tb={tb}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_matmul_large_k(isa, dtype):
    rng = np.random.default_rng(3)
    for M, K, N in [(3, 5000, 7), (20, 2049, 40)]:
        a, b = operands(M, K, N, dtype, False, False, rng)
        assert_gemm_close(nv.ops.matmul(a, b), a, b, False, False, dtype, what=f"K={K}")


def test_matmul_float32_has_float32_accuracy_not_just_tolerance():
    # A loose test tolerance could hide accumulation in float16-like precision: check that
    # float32 results are within a few ulps-times-sqrt(K) of the float64 product on average.
    rng = np.random.default_rng(4)
    a, b = operands(64, 512, 64, np.float32, False, False, rng)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    rel = np.abs(nv.ops.matmul(a, b) - ref).mean() / np.abs(ref).mean()
    assert rel < 1e-6


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_matmul_empty_dimensions(dtype):
    z = nv.ops.matmul(np.ones((3, 0), dtype), np.ones((0, 4), dtype))  # K = 0: zeros
    assert z.shape == (3, 4) and z.dtype == dtype and not z.any()
    assert nv.ops.matmul(np.ones((0, 5), dtype), np.ones((5, 4), dtype)).shape == (0, 4)
    assert nv.ops.matmul(np.ones((3, 5), dtype), np.ones((5, 0), dtype)).shape == (3, 0)
    t = nv.ops.matmul(np.ones((0, 3), dtype), np.ones((4, 0), dtype), trans_a=True, trans_b=True)
    assert t.shape == (3, 4) and not t.any()


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_matmul_non_contiguous_views(isa, dtype):
    rng = np.random.default_rng(5)
    big = rng.standard_normal((60, 90)).astype(dtype)
    views = {
        "strided rows and columns": (big[::2, 1::3], big[1:61:2, ::4][:30, :7]),
        "transposed view": (big[:20, :33].T, big[:20, 40:47]),
        "fortran order": (np.asfortranarray(big[:17, :19]), np.asfortranarray(big[20:39, :8])),
        "negative strides": (big[::-1, ::-1][:9, :10], big[::-3][:10, :11]),
    }
    for what, (a, b) in views.items():
        for ta, tb in TRANS:
            aa = a.T if ta else a  # hand over op-shaped views so op(aa) @ op(bb) is defined
            bb = b.T if tb else b
            c = nv.ops.matmul(aa, bb, trans_a=ta, trans_b=tb)
            assert_gemm_close(c, aa, bb, ta, tb, dtype, what=f"{what} ta={ta} tb={tb}")


def test_matmul_keeps_dtype_and_returns_new_array():
    a = np.ones((4, 3), np.float64)
    b = np.ones((3, 2), np.float64)
    c = nv.ops.matmul(a, b)
    assert c.dtype == np.float64 and c.flags.c_contiguous
    assert not np.shares_memory(c, a) and not np.shares_memory(c, b)
    np.testing.assert_array_equal(c, np.full((4, 2), 3.0))


# ------------------------------------------------------------------------- alpha and beta
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("ta,tb", TRANS, ids=TRANS_IDS)
def test_gemm_alpha_beta(isa, dtype, ta, tb):
    rng = np.random.default_rng(6)
    for M, K, N in [(1, 32, 128), (7, 13, 17), (32, 128, 40), (97, 300, 35), (40, 3, 2)]:
        a, b = operands(M, K, N, dtype, ta, tb, rng)
        for alpha, beta in [(1.0, 1.0), (-0.5, 2.0), (2.5, -1.0), (1.0, 0.5)]:
            c0 = rng.standard_normal((M, N)).astype(dtype)
            c = c0.copy()
            _C.gemm_(ta, tb, alpha, a, b, beta, c)
            assert_gemm_close(
                c, a, b, ta, tb, dtype, alpha, beta, c0, what=f"{isa} {M},{K},{N} alpha={alpha} beta={beta}"
            )


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_gemm_beta_zero_ignores_old_c_even_nan(isa, dtype):
    rng = np.random.default_rng(7)
    for M, K, N in [(1, 5, 3), (6, 16, 16), (50, 70, 33), (3, 4, 1)]:
        a, b = operands(M, K, N, dtype, False, True, rng)
        c = np.full((M, N), np.nan, dtype)
        _C.gemm_(False, True, 1.5, a, b, 0.0, c)
        assert_gemm_close(c, a, b, False, True, dtype, 1.5, what=f"{M},{K},{N}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_gemm_beta_one_accumulates(isa, dtype):
    # The backward passes sum gradients this way: C += op(A) op(B), twice.
    rng = np.random.default_rng(8)
    a, b = operands(37, 600, 29, dtype, True, False, rng)
    c0 = rng.standard_normal((37, 29)).astype(dtype)
    c = c0.copy()
    _C.gemm_(True, False, 1.0, a, b, 1.0, c)
    _C.gemm_(True, False, 1.0, a, b, 1.0, c)
    assert_gemm_close(c, a, b, True, False, dtype, 2.0, 1.0, c0)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_gemm_k_zero_and_alpha_zero_scale_c(dtype):
    c0 = np.arange(12, dtype=dtype).reshape(3, 4)
    c = c0.copy()
    _C.gemm_(False, False, 1.0, np.ones((3, 0), dtype), np.ones((0, 4), dtype), 2.0, c)
    np.testing.assert_array_equal(c, 2 * c0)
    c = np.full((3, 4), np.nan, dtype)
    _C.gemm_(False, False, 1.0, np.ones((3, 0), dtype), np.ones((0, 4), dtype), 0.0, c)
    np.testing.assert_array_equal(c, np.zeros((3, 4)))
    # BLAS convention: alpha == 0 does not read A or B, so their NaNs do not propagate
    c = c0.copy()
    _C.gemm_(False, False, 0.0, np.full((3, 5), np.nan, dtype), np.ones((5, 4), dtype), -1.0, c)
    np.testing.assert_array_equal(c, -c0)


# ------------------------------------------------------------------------- randomized
@settings(max_examples=50, deadline=None)
@given(
    M=st.integers(1, 70),
    K=st.integers(0, 90),
    N=st.integers(1, 70),
    ta=st.booleans(),
    tb=st.booleans(),
    f64=st.booleans(),
    alpha=st.sampled_from([1.0, -2.0, 0.25]),
    beta=st.sampled_from([0.0, 1.0, -0.5]),
    isa_name=st.sampled_from(_C.available_isas()),
    seed=st.integers(0, 2**16),
)
def test_gemm_random_shapes(M, K, N, ta, tb, f64, alpha, beta, isa_name, seed):
    dtype = np.float64 if f64 else np.float32
    rng = np.random.default_rng(seed)
    a, b = operands(M, K, N, dtype, ta, tb, rng)
    c0 = rng.standard_normal((M, N)).astype(dtype)
    c = c0.copy()
    before = _C.get_isa()
    _C.set_isa(isa_name)
    try:
        _C.gemm_(ta, tb, alpha, a, b, beta, c)
    finally:
        _C.set_isa(before)
    assert_gemm_close(c, a, b, ta, tb, dtype, alpha, beta, c0, what=f"{isa_name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_matmul_packs_b_in_row_blocks_with_ragged_tails(isa, dtype):
    # op(B) = B is packed 8 rows at a time, panel by panel, then the last kc % 8 rows one by
    # one, and a ragged last panel column by column: K blocks of every residue mod 8 (784 is
    # cut into 4 x 196), N around the panel widths, on the packed-A path and on the
    # small-M path with packed B.
    rng = np.random.default_rng(11)
    for M, K, N in [(40, 13, 70), (100, 21, 97), (80, 784, 40), (30, 8, 33), (90, 7, 64), (75, 263, 129)]:
        for ta in (False, True):
            a, b = operands(M, K, N, dtype, ta, False, rng)
            c = nv.ops.matmul(a, b, trans_a=ta)
            assert_gemm_close(c, a, b, ta, False, dtype, what=f"{isa} {M},{K},{N} ta={ta}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("ta,tb", TRANS, ids=TRANS_IDS)
def test_matmul_around_the_small_m_limit(isa, dtype, ta, tb):
    # op(A) is read in place up to small_m_rows (gemm_types.h: 6 MR, for AVX-512 float 11 MR
    # = 132 rows) and packed past it; both sides of both limits, ragged in every direction.
    rng = np.random.default_rng(12)
    shapes = [(36, 30, 40), (37, 29, 41), (72, 33, 50), (73, 31, 49), (132, 40, 70), (133, 19, 33), (200, 45, 90)]
    for M, K, N in shapes:
        a, b = operands(M, K, N, dtype, ta, tb, rng)
        c = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
        assert_gemm_close(c, a, b, ta, tb, dtype, what=f"{isa} {M},{K},{N} ta={ta} tb={tb}")


# Products the driver runs on the 8 x 48 AVX-512 float tile (gemm_types.h, RowTileBlocking):
# M fills 8-row tiles with less padding than 12-row ones. A weight gradient dY^T X (TN), a ragged
# one, and one with two K blocks.
ROW_TILE_SHAPES = [(256, 128, 784), (133, 19, 33), (136, 300, 100)]


@pytest.mark.parametrize("ta,tb", TRANS, ids=TRANS_IDS)
def test_row_tile_products_equal_the_default_tile_bit_for_bit(isa, ta, tb):
    # Row blocks of at most 132 rows run on the default tile (in place), the whole product on the
    # other one; both sum each element's K blocks in the same order, so the bits must agree.
    rng = np.random.default_rng(21)
    for M, K, N in ROW_TILE_SHAPES:
        a, b = operands(M, K, N, np.float32, ta, tb, rng)
        whole = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
        assert_gemm_close(whole, a, b, ta, tb, np.float32, what=f"{isa} {M},{K},{N} ta={ta} tb={tb}")
        rows = [slice(i, min(i + 96, M)) for i in range(0, M, 96)]
        parts = [nv.ops.matmul(a[:, r] if ta else a[r], b, trans_a=ta, trans_b=tb) for r in rows]
        np.testing.assert_array_equal(whole, np.vstack(parts), err_msg=f"{isa} {M},{K},{N} ta={ta} tb={tb}")


# ------------------------------------------------------------------------- threads
@pytest.mark.skipif(not _C.has_openmp(), reason="built without OpenMP")
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_threaded_result_equals_single_thread(isa, dtype):
    # Threads split C into blocks; every element still sums its K terms in the same
    # order, so the result does not depend on the thread count. (73 rows in 3 blocks of
    # 12-row AVX-512 tiles leave a 1-row block, which must not switch summation order.)
    rng = np.random.default_rng(9)
    try:
        shapes = [(64, 64, 64), (301, 70, 29), (7, 500, 900), (150, 40, 3), (73, 300, 33), (2, 2000, 300)]
        for M, K, N in shapes + ROW_TILE_SHAPES:
            for ta, tb in TRANS:
                a, b = operands(M, K, N, dtype, ta, tb, rng)
                nv.set_num_threads(1)
                one = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
                for threads in (2, 3):
                    nv.set_num_threads(threads)
                    many = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
                    np.testing.assert_array_equal(many, one, err_msg=f"{threads} threads, {M},{K},{N} ta={ta} tb={tb}")
    finally:
        nv.set_num_threads(1)


def test_concurrent_calls_from_python_threads():
    # The binding releases the GIL and the kernel keeps its pack buffers per thread, so
    # calls from several threads at once must not interfere.
    rng = np.random.default_rng(10)
    problems = []
    for M, K, N in [(130, 257, 66), (5, 300, 400), (64, 64, 64), (300, 20, 7)] * 3:
        a, b = operands(M, K, N, np.float32, False, True, rng)
        problems.append((a, b, nv.ops.matmul(a, b, trans_b=True)))

    def run(p):
        a, b, expected = p
        for _ in range(5):
            np.testing.assert_array_equal(nv.ops.matmul(a, b, trans_b=True), expected)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(run, problems))


# ------------------------------------------------------------------------- bad input
def test_matmul_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="float64|float32"):
        nv.ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 2), np.float64))


def test_matmul_rejects_integer_arrays():
    with pytest.raises(TypeError, match="a must be"):
        nv.ops.matmul(np.ones((2, 3), np.int64), np.ones((3, 2), np.int64))
    with pytest.raises(TypeError, match="b must be"):
        nv.ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 2), np.int32))


def test_matmul_rejects_wrong_ndim():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        nv.ops.matmul(np.ones((2, 3, 4), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        nv.ops.matmul(np.ones((2, 3), np.float32), np.ones(3, np.float32))


def test_matmul_rejects_inner_dimension_mismatch():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        nv.ops.matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))
    with pytest.raises(ValueError, match="inner"):
        nv.ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 5), np.float32), trans_a=True)
    with pytest.raises(ValueError, match="inner"):
        nv.ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 5), np.float32), trans_b=True)


# ------------------------------------------------------------------------- FMA peak probe
def test_fma_peak_gflops_measures_every_available_isa():
    # The benchmark's yardstick (neuralviz/bench/matmul.py): a positive, finite rate for each
    # ISA the CPU has. No speed is asserted: CI machines differ and are shared.
    for isa in _C.available_isas():
        gflops = _C.fma_peak_gflops(isa, seconds=0.01, repeats=2)
        assert np.isfinite(gflops) and gflops > 0, isa


def test_fma_peak_gflops_rejects_bad_arguments():
    with pytest.raises(ValueError, match="avx9"):
        _C.fma_peak_gflops("avx9")
    with pytest.raises(ValueError, match="seconds"):
        _C.fma_peak_gflops("generic", seconds=0)
    with pytest.raises(ValueError, match="repeats"):
        _C.fma_peak_gflops("generic", repeats=0)
    missing = [i for i in ("avx2", "avx512") if i not in _C.available_isas()]
    for isa in missing:  # only on CPUs without it
        with pytest.raises(ValueError, match="has no"):
            _C.fma_peak_gflops(isa)

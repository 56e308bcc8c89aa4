"""The optional CUDA backend: skipped (with the reason) where no GPU is usable."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.backend import CUDA_REASON, HAS_CUDA

pytestmark = pytest.mark.cuda
needs_gpu = pytest.mark.skipif(not HAS_CUDA, reason=CUDA_REASON or "no CUDA")


def test_reason_is_reported_without_gpu():
    if HAS_CUDA:
        assert "cuda" in nv.backends()
    else:
        assert CUDA_REASON and "cuda" not in nv.backends()


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (67, 131, 29), (256, 192, 300), (5, 300, 0)])
def test_cuda_matmul_matches_numpy(dtype, ta, tb, m, n, k):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    nv.set_backend("cuda")
    try:
        got = nv.ops.matmul(a, b, trans_a=ta, trans_b=tb)
    finally:
        nv.set_backend("cpu")
    tol = 1e-4 * np.sqrt(max(k, 1)) if dtype == np.float32 else 1e-12 * max(k, 1)
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    assert got.dtype == dtype

"""The dense-layer forward kernel: the direct path for narrow layers and the GEMM path."""

import numpy as np
import pytest

from neuralviz import _C


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (63, 8, 2), (65, 1, 8), (200, 32, 16), (70, 33, 17), (5, 7, 300)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_matches_numpy(isa, dtype, m, n, k, bias):
    rng = np.random.default_rng(m * n + k)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype) if bias else None
    ref = x.astype(np.float64) @ w.T.astype(np.float64) + (b if bias else 0)
    tol = 2e-6 * np.sqrt(k) if dtype == np.float32 else 1e-13 * k
    np.testing.assert_allclose(_C.linear_forward(x, w, b), ref, rtol=tol, atol=tol)


def test_linear_forward_rejects_mismatches():
    x, w = np.zeros((3, 4), np.float32), np.zeros((2, 5), np.float32)
    with pytest.raises(ValueError, match="4 features but w expects 5"):
        _C.linear_forward(x, w, None)
    with pytest.raises(ValueError, match="b must have shape"):
        _C.linear_forward(x, np.zeros((2, 4), np.float32), np.zeros(3, np.float32))

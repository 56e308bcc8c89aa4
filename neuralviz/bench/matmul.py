"""Matrix multiply (nv.ops.matmul) against numpy's `a @ b` (OpenBLAS), single thread.

Both sides are timed at the Python call level, so the small shapes include each library's
call overhead (ours: argument checks plus the pybind11 call; numpy: ufunc dispatch).
Transposed variants pass trans_a/trans_b to us and a transposed *view* to numpy, which
hands the flag to BLAS as well, so neither side copies.

Each row first checks our product against numpy's (gemm_tolerance: rounding grows with K).

Shapes: the square sizes, the MLP training layer x(128x784) @ W^T with W (256, 784) and
its two backward products, and the recurrent-layer shapes (one LSTM step's
h(32x128) @ W_hh^T with W_hh (512, 128), and a batch-1 matvec).

Run alone with `python -m neuralviz.bench kernels --only matmul`.
"""

from __future__ import annotations

import numpy as np

import neuralviz as nv

from ._harness import Case

# (label, M, K, N, dtype, trans_a, trans_b, target). op(a) is M x K and op(b) is K x N.
SHAPES = [
    ("sgemm 512x512 @ 512x512", 512, 512, 512, np.float32, False, False, "<=1.25x"),
    ("sgemm 128x784 @ 784x256", 128, 784, 256, np.float32, False, False, "<=1.25x"),
    ("dgemm 512x512 @ 512x512", 512, 512, 512, np.float64, False, False, ""),
    ("sgemm x @ W^T 128x784 @ (256x784)^T", 128, 784, 256, np.float32, False, True, ""),
    ("sgemm dY^T @ X (128x256)^T @ 128x784", 256, 128, 784, np.float32, True, False, ""),
    ("sgemm dY @ W 128x256 @ 256x784", 128, 256, 784, np.float32, False, False, ""),
    ("sgemm 32x128 @ 128x512 (LSTM step)", 32, 128, 512, np.float32, False, False, ""),
    ("sgemm h @ W_hh^T 32x128 @ (512x128)^T", 32, 128, 512, np.float32, False, True, ""),
    ("sgemm 1x32 @ 32x128 (matvec)", 1, 32, 128, np.float32, False, False, ""),
]
QUICK = {"sgemm 512x512 @ 512x512", "sgemm 128x784 @ 784x256", "sgemm 32x128 @ 128x512 (LSTM step)"}


def gemm_tolerance(dtype, K: int) -> tuple[float, float]:
    """(rtol, atol) for a product of unit-normal matrices over K terms.

    Blocked float sums of K products round to about eps*sqrt(K) relative to the terms' size,
    and an entry's typical size is sqrt(K): rtol = 32*eps*sqrt(K) (1e-4 at K = 512 in float32)
    and atol = rtol*sqrt(K), so that entries which cancel to near zero are held to the same
    absolute error as typical ones. A wrong kernel misses this by orders of magnitude.
    """
    rtol = 32 * float(np.finfo(dtype).eps) * np.sqrt(K)
    return rtol, rtol * np.sqrt(K)


def _case(label, M, K, N, dtype, trans_a, trans_b, target, seed=0) -> Case:
    from ._harness import check_close

    rng = np.random.default_rng(seed)
    a = rng.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if trans_b else (K, N)).astype(dtype)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b

    def ours():
        return nv.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b)

    def theirs():
        return op_a @ op_b

    def check():
        check_close(label, ours(), theirs(), *gemm_tolerance(dtype, K))

    return Case(label, ours, "numpy", theirs, flops=2.0 * M * N * K, target=target, check=check)


def cases(quick: bool = False) -> list[Case]:
    return [_case(*s) for s in SHAPES if not quick or s[0] in QUICK]


if __name__ == "__main__":
    from ._harness import run_cases, single_thread_peers

    single_thread_peers()
    run_cases(cases())

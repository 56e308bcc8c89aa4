"""CUDA backend matmul (copies included) against our CPU kernel and numpy/OpenBLAS.

Only meaningful on a machine with a GPU; elsewhere it returns no cases. The CPU peers
run single-threaded (the harness pins them), so the ratio shows what offloading a large
product buys a student's laptop with a GPU. Each row first checks the GPU's product against
the peer's with matmul's GEMM tolerance.
"""

from __future__ import annotations

import numpy as np

from ._harness import Case


def skip_reason() -> str:
    """Why this suite has no cases here ("" where a GPU is usable)."""
    from neuralviz.backend import CUDA_REASON

    return CUDA_REASON


def cases(quick: bool = False) -> list[Case]:
    import neuralviz as nv
    from neuralviz.backend import HAS_CUDA, cuda_module

    if not HAS_CUDA:
        return []
    nv.set_backend("cuda")
    cuda = cuda_module()
    nv.set_backend("cpu")
    out = []
    for n in (512, 2048) if quick else (512, 2048, 4096):
        for dtype in (np.float32, np.float64):
            rng = np.random.default_rng(0)
            a = rng.standard_normal((n, n)).astype(dtype)
            b = rng.standard_normal((n, n)).astype(dtype)
            out += _gemm_rows(cuda.matmul, nv._C.matmul, a, b)
    return out


def _gemm_rows(gpu_matmul, cpu_matmul, a: np.ndarray, b: np.ndarray) -> list[Case]:
    """The GPU product (copies included) against numpy's and against our CPU kernel's."""
    n, tag = len(a), "s" if a.dtype == np.float32 else "d"

    def gpu():
        return gpu_matmul(a, b, False, False)

    peers = {"numpy": ("numpy", lambda: a @ b), "cpu": ("our CPU", lambda: cpu_matmul(a, b, False, False))}
    rows = []
    for peer, (label, theirs) in peers.items():
        name = f"cuda {tag}gemm n={n} (with copies) vs {label}"
        rows.append(Case(name, gpu, peer, theirs, flops=2.0 * n**3, check=_gemm_check(name, gpu, theirs, a.dtype, n)))
    return rows


def _gemm_check(name: str, gpu, theirs, dtype, n: int):
    """Holds the GPU's product to the peer's with matmul's GEMM tolerance for K = n."""

    def check():
        from ._harness import check_close
        from .matmul import gemm_tolerance

        check_close(f"{name}: product", gpu(), theirs(), *gemm_tolerance(dtype, n))

    return check

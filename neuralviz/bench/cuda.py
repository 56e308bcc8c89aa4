"""CUDA backend matmul (copies included) against our CPU kernel and numpy/OpenBLAS.

Only meaningful on a machine with a GPU; elsewhere it returns no cases. The CPU peers
run single-threaded (the harness pins them), so the ratio shows what offloading a large
product buys a student's laptop with a GPU.
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
            tag = "s" if dtype == np.float32 else "d"
            out.append(
                Case(
                    f"cuda {tag}gemm n={n} (with copies) vs numpy",
                    lambda a=a, b=b: cuda.matmul(a, b, False, False),
                    "numpy",
                    lambda a=a, b=b: a @ b,
                    flops=2.0 * n**3,
                )
            )
            out.append(
                Case(
                    f"cuda {tag}gemm n={n} (with copies) vs our CPU",
                    lambda a=a, b=b: cuda.matmul(a, b, False, False),
                    "cpu",
                    lambda a=a, b=b: nv._C.matmul(a, b, False, False),
                    flops=2.0 * n**3,
                )
            )
    return out

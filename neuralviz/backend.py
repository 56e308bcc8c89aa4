"""Which kernel backends exist in this process, and which one `neuralviz.ops` uses.

The CPU extension `_C` is always built. The CUDA extension `_C_cuda` is optional: it is
built only where nvcc exists, and usable only where a GPU is present. Its absence is a
normal state, reported with a human-readable reason rather than an exception.
"""

from __future__ import annotations

from . import _C

_cuda_module = None
CUDA_REASON = "CUDA backend not built (no nvcc at build time)"
try:
    from . import _C_cuda as _cuda_module  # type: ignore[attr-defined]
except ImportError as err:
    if "_C_cuda" not in str(err):
        CUDA_REASON = f"CUDA backend failed to import: {err}"
if _cuda_module is not None:
    _count, _msg = _cuda_module.device_count()
    CUDA_REASON = "" if _count > 0 else f"CUDA backend unavailable: {_msg}"

HAS_CUDA = _cuda_module is not None and CUDA_REASON == ""

_active = "cpu"


def backends() -> list[str]:
    """Names of the usable backends, best last: ["cpu"] or ["cpu", "cuda"]."""
    return ["cpu", "cuda"] if HAS_CUDA else ["cpu"]


def set_backend(name: str) -> None:
    """Choose the backend for `neuralviz.ops` kernels that have a CUDA version."""
    global _active
    if name not in ("cpu", "cuda"):
        raise ValueError(f"set_backend: unknown backend {name!r} (use 'cpu' or 'cuda')")
    if name == "cuda" and not HAS_CUDA:
        raise RuntimeError(f"set_backend('cuda'): {CUDA_REASON}")
    _active = name


def get_backend() -> str:
    return _active


def cuda_module():
    """The CUDA extension module when the active backend is 'cuda', else None."""
    return _cuda_module if _active == "cuda" else None


def set_num_threads(n: int) -> None:
    """Threads used by the CPU kernels (default 1; the app trains beside a GUI thread)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _C.set_num_threads(n)


def get_num_threads() -> int:
    return _C.get_num_threads()

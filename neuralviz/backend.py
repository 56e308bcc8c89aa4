"""Which kernel backends exist in this process, and which one `neuralviz.ops` uses.

The CPU extension `_C` is always built. The CUDA extension `_C_cuda` is optional: it is
built only where nvcc exists, and usable only where a GPU is present. Its absence is a
normal state, reported with a human-readable reason rather than an exception.
"""

from __future__ import annotations

import re

from . import _C

_cuda_module = None
CUDA_REASON = "CUDA backend not built (no nvcc at build time)"
try:
    from . import _C_cuda as _cuda_module  # type: ignore[attr-defined]
except ImportError as err:
    if "_C_cuda" not in str(err):
        CUDA_REASON = f"CUDA backend failed to import: {err}"
# cudaGetDeviceCount's codes for "there is no GPU to use": 100 is cudaErrorNoDevice; 35
# (cudaErrorInsufficientDriver) is also what the runtime reports when no NVIDIA driver is
# installed at all, i.e. on every machine without an NVIDIA GPU, and its text ("CUDA driver
# version is insufficient for CUDA runtime version") then sends users after a driver update.
_NO_GPU_ERRORS = (35, 100)
NO_GPU = "no NVIDIA GPU found"


def _driver_present() -> bool:
    """Whether the NVIDIA driver's user-space library (libcuda) can be loaded."""
    import ctypes

    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll", "libcuda.dylib"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def plain_cuda_reason(count: int, message: str) -> str:
    """The user-facing text for `_C_cuda.device_count()`'s (count, reason); "" when a GPU is usable.

    "no NVIDIA GPU found" for no device (count 0 without error, cudaError 100) and for
    cudaError 35 on a machine without an NVIDIA driver; other errors keep the runtime's text
    (where a driver is installed, error 35 really means it is older than the CUDA runtime)."""
    if count > 0:
        return ""
    match = re.search(r"\(cudaError (\d+)\)\s*$", message or "")
    code = int(match.group(1)) if match else None
    if code is None and (not message or "no CUDA device" in message):
        return NO_GPU
    if code in _NO_GPU_ERRORS and (code != 35 or not _driver_present()):
        return NO_GPU
    if code == 35:
        return f"{message}: the NVIDIA driver is older than the CUDA runtime this build uses; update the driver"
    return message or "unknown CUDA error"


CUDA_ERROR = ""  # the CUDA runtime's own text when it reported an error (kept for bug reports)
if _cuda_module is not None:
    _count, CUDA_ERROR = _cuda_module.device_count()
    _reason = plain_cuda_reason(_count, CUDA_ERROR)
    CUDA_REASON = f"CUDA backend unavailable: {_reason}" if _reason else ""

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

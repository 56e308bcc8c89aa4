"""The CUDA backend's modules a test can run kernels on: the simulator build `_C_cudasim` (the
.cu sources compiled for the CPU, see csrc/cuda/device.h; on every machine where it built) and
the real `_C_cuda` where a GPU is usable. Kernel tests take the `dev` fixture and compare with
the CPU backend's kernels on the same inputs; `@pytest.mark.cuda` rows need the GPU."""

from __future__ import annotations

import numpy as np
import pytest

from neuralviz import backend

try:
    from neuralviz._native import _C_cudasim as SIM
except ImportError:  # the compiler lacked C++20; the build said so
    SIM = None


def modules() -> list:
    """pytest params: the simulator running blocks and threads in ascending and in descending order (a
    kernel whose result depends on the order has a race; see device.h), and the GPU (marked cuda, skipped
    without one)."""
    no_gpu = pytest.mark.skipif(not backend.HAS_CUDA, reason=backend.CUDA_REASON or "no CUDA")
    no_sim = pytest.mark.skipif(SIM is None, reason="_C_cudasim was not built (needs a C++20 compiler)")
    return [
        pytest.param((SIM, False), id="sim", marks=no_sim),
        pytest.param((SIM, True), id="sim-reversed", marks=no_sim),
        pytest.param(
            (backend._cuda_module if backend.HAS_CUDA else None, False), id="gpu", marks=[pytest.mark.cuda, no_gpu]
        ),
    ]


@pytest.fixture(params=modules())
def dev(request, monkeypatch):
    """The device module under test; transfer counters reset."""
    module, reversed_order = request.param
    if reversed_order:
        monkeypatch.setenv("NVZ_SIM_REVERSE", "1")
    module.reset_transfer_stats()
    return module


def up(dev, a: np.ndarray):
    """A numpy array on the device (C-contiguous copy)."""
    return dev.to_device(np.ascontiguousarray(a))


def tol(dtype) -> dict:
    """assert_allclose tolerances for a device kernel against the CPU's (different summation orders)."""
    return {"rtol": 1e-4, "atol": 1e-5} if np.dtype(dtype) == np.float32 else {"rtol": 1e-10, "atol": 1e-12}

"""The GPU benchmark's rows (neuralviz.bench.cuda) built on the CUDA simulator: each row's check passes and
its timed call runs, so the one run a GPU session gets (benchmarks/gpu_check.sh) does not die in the
benchmark's own code. The conv row's VGG-sized layer is too large for the simulator; its parts are the
conv kernels that tests/test_cudasim_conv.py compares with the CPU."""

from __future__ import annotations

import pytest
from cuda_devices import SIM

from neuralviz import backend
from neuralviz.bench import cuda as bench_cuda

pytestmark = pytest.mark.skipif(SIM is None, reason="_C_cudasim was not built")


def _run(case) -> None:
    case.check()
    case.ours()
    assert case.theirs is None or callable(case.theirs)


def test_gemm_row():
    _run(bench_cuda._gemm_row(backend.simulator(), None, 96))


@pytest.mark.parametrize("fused", [True, False])
def test_lstm_rows(fused):
    case = bench_cuda._lstm_row(backend.simulator(), None, fused)
    assert ("fused" if fused else "2-launch") in case.name
    _run(case)


def test_digits_cnn_row():
    _run(bench_cuda._digits_cnn_row(backend.simulator(), 64))
    assert backend.current is backend.CPU


def test_no_cases_without_a_gpu():
    if backend.HAS_CUDA:
        pytest.skip("a GPU is usable here")
    assert bench_cuda.cases() == [] and "no NVIDIA GPU" in bench_cuda.skip_reason()

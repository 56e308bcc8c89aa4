"""The GPU benchmark's rows (neuralviz.bench.cuda) built on the CUDA simulator: each row's check passes and
its timed call runs, so the one run a GPU session gets (benchmarks/gpu_check.sh) does not die in the
benchmark's own code. The conv row's VGG-sized layer is too large for the simulator; its parts are the
conv kernels that tests/test_cudasim_conv.py compares with the CPU."""

from __future__ import annotations

import os

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


def test_gemm_tf32_row():
    """The TF32 row checks and times with TF32 on, and leaves the switch as it found it."""
    sim = backend.simulator()
    assert sim.module.tf32() is False
    case = bench_cuda._gemm_tf32_row(sim, None, 96)
    assert case.name == "cuda sgemm 96 TF32 vs cuBLAS TF32"
    _run(case)
    assert sim.module.tf32() is False


LABELS = {"persistent": "persistent", "fused": "fused per step", "2-launch": "2-launch"}


@pytest.mark.parametrize("mode", bench_cuda.LSTM_MODES)
def test_lstm_rows(mode):
    case = bench_cuda._lstm_row(backend.simulator(), None, mode)
    assert case.name == f"cuda LSTM T50 N32 H128 {LABELS[mode]} vs cuDNN"
    _run(case)


def test_lstm_row_restores_the_environment(monkeypatch):
    monkeypatch.setenv("NVZ_RNN_FUSED", "1")
    monkeypatch.delenv("NVZ_RNN_PERSISTENT", raising=False)
    bench_cuda._lstm_row(backend.simulator(), None, "2-launch").ours()
    assert os.environ.get("NVZ_RNN_FUSED") == "1" and "NVZ_RNN_PERSISTENT" not in os.environ
    with pytest.raises(ValueError, match="mode must be one of"):
        bench_cuda._lstm_row(backend.simulator(), None, "fast")


def test_digits_cnn_row():
    _run(bench_cuda._digits_cnn_row(backend.simulator(), 64))
    assert backend.current is backend.CPU


def test_no_cases_without_a_gpu():
    if backend.HAS_CUDA:
        pytest.skip("a GPU is usable here")
    assert bench_cuda.cases() == [] and "no NVIDIA GPU" in bench_cuda.skip_reason()

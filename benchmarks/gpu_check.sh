#!/usr/bin/env bash
# The CUDA backend's check on a machine with an NVIDIA GPU, in one run of under 8 minutes:
#   1. build the extensions in place, the CUDA one with nvcc (sm_90 code plus PTX); a CUDA
#      build failure fails this script (NEURALVIZ_CUDA=1) instead of falling back to the CPU;
#   2. the CUDA tests: every kernel against its CPU twin and whole networks training the same,
#      on the GPU (the `cuda` rows) and on the simulator (the same tests' `sim` rows);
#   3. our kernels timed beside cuBLAS/cuDNN through PyTorch on the same GPU, and digits-cnn's
#      training step on the GPU against one CPU core (python -m neuralviz.bench cuda): GEMM with
#      and without TF32, the convolution, the LSTM persistent, per step and two-launch;
#   4. the convolution again without split-K and with the 64-wide GEMM tile (A/B for tuning).
# Usage: bash benchmarks/gpu_check.sh [output folder]   (logs and bench JSON land there)
# Needs python3 with numpy, cython, pybind11, pytest (and torch for the peer rows).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${1:-${OUT:-/tmp/gpu_check}}"
mkdir -p "$OUT_DIR"
PY="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
nvcc --version | tail -1 || true
"$PY" -c 'import sys, numpy; print(sys.version.split()[0], "numpy", numpy.__version__)'

echo "== build (NEURALVIZ_CUDA=1: a CUDA build failure stops here)"
start=$(date +%s)
if ! NEURALVIZ_CUDA=1 NEURALVIZ_CUDA_ARCHS="${NEURALVIZ_CUDA_ARCHS:-90}" NEURALVIZ_BUILD_JOBS="$(nproc)" \
    "$PY" setup.py build_ext --inplace >"$OUT_DIR/build.log" 2>&1; then
  tail -40 "$OUT_DIR/build.log"
  exit 1
fi
echo "built in $(( $(date +%s) - start )) s"
"$PY" -m neuralviz backends || status=1

echo "== CUDA tests (GPU and simulator rows)"
timeout 360 "$PY" -m pytest -q -p no:cacheprovider -x -rs \
  tests/test_cuda.py tests/test_cuda_backend.py tests/test_cudasim_*.py 2>&1 | tee "$OUT_DIR/tests.log" | tail -30
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== timings against cuBLAS / cuDNN on the same GPU"
"$PY" -m neuralviz.bench cuda --json "$OUT_DIR/bench_cuda.json" 2>&1 | tee "$OUT_DIR/bench.log" | tail -20
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== A/B: the convolution without split-K (NVZ_GEMM_SPLITK=0), then with the 64-wide GEMM tile"
NVZ_GEMM_SPLITK=0 "$PY" -m neuralviz.bench cuda --only conv2d 2>&1 | tee "$OUT_DIR/bench_nosplit.log" | tail -3
NVZ_GEMM_TILE=64 "$PY" -m neuralviz.bench cuda --only conv2d 2>&1 | tee "$OUT_DIR/bench_tile64.log" | tail -3
exit $status

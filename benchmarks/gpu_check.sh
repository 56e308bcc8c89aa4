#!/usr/bin/env bash
# One prepared run on a machine with an NVIDIA GPU (and usually AVX-512): builds the CUDA
# backend for sm_90, runs the CUDA tests and the kernel tests on every instruction set the
# CPU has, then times the CUDA matmul and our CPU GEMM. Writes logs to $OUT when set.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "cpu isa flags: $(grep -o 'avx512[a-z]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
python3 --version
export NEURALVIZ_CUDA_ARCHS=${NEURALVIZ_CUDA_ARCHS:-90} NEURALVIZ_CUDA=1 NEURALVIZ_BUILD_JOBS=16
if ! python3 setup.py build_ext --inplace -j 16 >"$OUT/build.log" 2>&1; then
    tail -40 "$OUT/build.log"; exit 1
fi
python3 -m neuralviz.cli backends
tests=$(ls tests/test_cuda.py tests/test_matmul.py tests/test_conv.py tests/test_pool.py \
        tests/test_recurrent.py tests/test_elementwise.py tests/test_fastpath.py 2>/dev/null)
QT_QPA_PLATFORM=offscreen timeout 300 python3 -m pytest -q -p no:cacheprovider $tests 2>&1 | tail -15 | tee "$OUT/tests.txt"
timeout 120 python3 -m neuralviz.bench cuda --quick 2>&1 | tee "$OUT/bench_cuda.txt"
timeout 60 python3 -m neuralviz.bench kernels --quick --only gemm 2>&1 | tee "$OUT/bench_gemm.txt"

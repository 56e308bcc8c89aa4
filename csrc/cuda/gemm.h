// GEMM on device pointers: C = alpha op(A) op(B) + beta C, row-major with leading dimensions,
// as the CPU's nvz::gemm. The layers' matrix products (dense, im2col convolution, the
// recurrences' input projections and per-step recurrent products) all come through here.
#pragma once
#include <cstdint>

namespace nvz::cuda {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// TF32 tensor cores for float GEMMs (gemm.cu's gemm_tf32): off by default, because TF32 inputs
// carry a 10-bit mantissa and results differ from the CPU's by ~1e-3 relative. On while
// set_tf32(true) holds or NVZ_TF32=1 is in the environment (read on every call); double GEMMs
// never use it. Process-wide.
void set_tf32(bool enabled);
bool tf32_enabled();

}  // namespace nvz::cuda

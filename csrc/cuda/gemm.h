// GEMM on device pointers: C = alpha op(A) op(B) + beta C, row-major with leading dimensions,
// as the CPU's nvz::gemm. The layers' matrix products (dense, im2col convolution, the
// recurrences' input projections and per-step recurrent products) all come through here.
#pragma once
#include <cstdint>

namespace nvz::cuda {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace nvz::cuda

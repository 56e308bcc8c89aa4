// General matrix multiply on row-major storage.
#pragma once
#include <cstdint>

namespace nvz {

// C[M,N] = alpha * op(A) * op(B) + beta * C, all row-major.
//   op(A) is M x K: A itself (stored M x K, row stride lda >= K) or A^T (A stored K x M, lda >= M).
//   op(B) is K x N: B itself (stored K x N, ldb >= N) or B^T (B stored N x K, ldb >= K).
// beta == 0 means C is overwritten (its old contents, even NaN, are ignored); beta == 1
// accumulates, which the backward passes use to sum gradients.
// K == 0 is allowed (C = beta * C). Threads: nvz::threads_for(M*N*K). Thread-safe.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace nvz

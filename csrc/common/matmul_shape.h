// The M, N, K of op(A) op(B) from the stored shapes and the transpose flags, checked once
// for every binding that multiplies (CPU matmul, the in-place gemm_, the CUDA matmul).
#pragma once
#include <cstdint>

#include "check.h"
#include "checked.h"

namespace nvz {

struct MatmulShape {
  int64_t M, N, K;
};

// Also checks that the work M*N*K (which picks the thread count) fits 64 bits; the caller
// checks the memory of the result it allocates (with K = 0, M*N is bounded by no input).
inline MatmulShape matmul_shape(const char* fn, int64_t a_rows, int64_t a_cols, int64_t b_rows,
                                int64_t b_cols, bool trans_a, bool trans_b) {
  const int64_t M = trans_a ? a_cols : a_rows, K = trans_a ? a_rows : a_cols;
  const int64_t Kb = trans_b ? b_cols : b_rows, N = trans_b ? b_rows : b_cols;
  NVZ_CHECK(K == Kb, fn, ": inner dimensions differ (", K, " vs ", Kb, ")");
  NVZ_CHECKED(Size(M) * N * K, fn, ": the work M*N*K = ", M, "*", N, "*", K);
  return {M, N, K};
}

// Refuses a result (M, N) of elem_bytes elements that cannot fit in memory.
inline void check_matmul_result(const char* fn, const MatmulShape& s, int64_t elem_bytes) {
  NVZ_CHECK_MEMORY(fn, Size(s.M) * s.N, elem_bytes, "the result of shape (", s.M, ", ", s.N, ")");
}

}  // namespace nvz

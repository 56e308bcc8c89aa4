// The M, N, K of op(A) op(B) from the stored shapes and the transpose flags, checked once
// for every binding that multiplies (CPU matmul, the in-place gemm_, the CUDA matmul).
#pragma once
#include <cstdint>

#include "check.h"

namespace nvz {

struct MatmulShape {
  int64_t M, N, K;
};

inline MatmulShape matmul_shape(const char* fn, int64_t a_rows, int64_t a_cols, int64_t b_rows,
                                int64_t b_cols, bool trans_a, bool trans_b) {
  const int64_t M = trans_a ? a_cols : a_rows, K = trans_a ? a_rows : a_cols;
  const int64_t Kb = trans_b ? b_cols : b_rows, N = trans_b ? b_rows : b_cols;
  NVZ_CHECK(K == Kb, fn, ": inner dimensions differ (", K, " vs ", Kb, ")");
  return {M, N, K};
}

}  // namespace nvz

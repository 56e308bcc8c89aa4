// Narrow layers (the Playground's 2-8-8-1 evaluated on a 200x200 decision-boundary grid)
// have too little work per row for the packed GEMM to pay off, so they get a direct loop:
// each output row starts as the bias and adds one input column at a time, a short
// contiguous loop over the units that the compiler vectorises. Wider layers write the bias
// rows first and let the GEMM accumulate onto them.
#include "linear.h"

#include <algorithm>

#include "gemm.h"

namespace nvz {
namespace {

constexpr int64_t kDirectMaxK = 16, kDirectMaxN = 32, kRows = 64;

// Rows are processed in blocks of kRows, transposed so that every inner loop runs over the
// block's rows: contiguous and vectorisable whatever the (tiny) number of units. The bias is
// added after the sum, in the same order as the fused MLP trainer (csrc/cpu/mlp.cpp).
template <typename T>
void linear_direct(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ b,
                   T* __restrict__ y, int64_t M, int64_t N, int64_t K) {
  alignas(64) T xt[kDirectMaxK][kRows];
  alignas(64) T yt[kDirectMaxN][kRows];
  for (int64_t i0 = 0; i0 < M; i0 += kRows) {
    const int64_t rows = std::min(kRows, M - i0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < K; ++k) xt[k][r] = x[(i0 + r) * K + k];
    for (int64_t n = 0; n < N; ++n) {
      T* __restrict__ yn = yt[n];
      for (int64_t r = 0; r < rows; ++r) yn[r] = T(0);
      for (int64_t k = 0; k < K; ++k) {
        const T wnk = w[n * K + k];
        const T* __restrict__ xk = xt[k];
        for (int64_t r = 0; r < rows; ++r) yn[r] += wnk * xk[r];
      }
      if (b) {
        const T bn = b[n];
        for (int64_t r = 0; r < rows; ++r) yn[r] += bn;
      }
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t n = 0; n < N; ++n) y[(i0 + r) * N + n] = yt[n][r];
  }
}

}  // namespace

template <typename T>
void linear_forward(const T* x, const T* w, const T* b, T* y, int64_t M, int64_t N, int64_t K) {
  if (K <= kDirectMaxK && N <= kDirectMaxN) return linear_direct(x, w, b, y, M, N, K);
  if (b)
    for (int64_t i = 0; i < M; ++i) std::copy(b, b + N, y + i * N);
  gemm<T>(false, true, M, N, K, T(1), x, K, w, K, b ? T(1) : T(0), y, N);
}

template void linear_forward<float>(const float*, const float*, const float*, float*, int64_t,
                                    int64_t, int64_t);
template void linear_forward<double>(const double*, const double*, const double*, double*, int64_t,
                                     int64_t, int64_t);

}  // namespace nvz

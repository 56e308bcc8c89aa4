// Tiled GEMM for the CUDA backend: each 16x16 thread block computes a 64x64 tile of C,
// each thread a 4x4 register tile, with 64x16 panels of op(A) and op(B) staged in shared
// memory. Transposes are folded into the panel loads, so all four variants share one kernel.
#include "cuda/device.h"
#include "cuda/gemm.h"

namespace nvz::cuda {
namespace {

constexpr int TILE = 64, KT = 16, TPB = 16, RT = TILE / TPB;  // RT x RT outputs per thread

// element (r, c) of op(X), where X is stored row-major with leading dimension ld
template <typename T>
__device__ __forceinline__ T op_at(const T* X, bool trans, int64_t ld, int64_t r, int64_t c) {
  return trans ? X[c * ld + r] : X[r * ld + c];
}

template <typename T>
__global__ void gemm_kernel(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                            const T* __restrict__ A, int64_t lda, const T* __restrict__ B,
                            int64_t ldb, T beta, T* __restrict__ C, int64_t ldc) {
  __shared__ T As[KT][TILE + 1];  // As[k][m]: +1 avoids bank conflicts
  __shared__ T Bs[KT][TILE + 1];  // Bs[k][n]
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * TPB + tx;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * TILE;
  const int64_t col0 = static_cast<int64_t>(blockIdx.x) * TILE;
  T acc[RT][RT] = {};
  for (int64_t k0 = 0; k0 < K; k0 += KT) {
    // 256 threads load 64x16 elements of each panel: 4 each
    for (int i = tid; i < TILE * KT; i += TPB * TPB) {
      const int m = i % TILE, k = i / TILE;
      const int64_t gr = row0 + m, gk = k0 + k, gc = col0 + m;
      As[k][m] = (gr < M && gk < K) ? op_at(A, ta, lda, gr, gk) : T(0);
      Bs[k][m] = (gk < K && gc < N) ? op_at(B, tb, ldb, gk, gc) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < KT; ++k) {
      T a[RT], b[RT];
#pragma unroll
      for (int r = 0; r < RT; ++r) a[r] = As[k][ty + r * TPB];
#pragma unroll
      for (int c = 0; c < RT; ++c) b[c] = Bs[k][tx + c * TPB];
#pragma unroll
      for (int r = 0; r < RT; ++r)
#pragma unroll
        for (int c = 0; c < RT; ++c) acc[r][c] += a[r] * b[c];
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < RT; ++r)
#pragma unroll
    for (int c = 0; c < RT; ++c) {
      const int64_t gr = row0 + ty + r * TPB, gc = col0 + tx + c * TPB;
      if (gr < M && gc < N) {
        T* out = &C[gr * ldc + gc];
        *out = beta == T(0) ? alpha * acc[r][c] : alpha * acc[r][c] + beta * *out;
      }
    }
}

template <typename T>
__global__ void scale_kernel(int64_t M, int64_t N, T beta, T* __restrict__ C, int64_t ldc) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < M * N;
       i += stride) {
    T* out = &C[(i / N) * ldc + i % N];
    *out = beta == T(0) ? T(0) : beta * *out;
  }
}

}  // namespace

template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // op(A) op(B) is all zeros: C = beta C
    NVZ_LAUNCH(scale_kernel<T>, dim3(blocks_for(M * N, 256)), dim3(256), M, N, beta, C, ldc);
    return;
  }
  dim3 block(TPB, TPB), grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE);
  NVZ_LAUNCH_SYNC(gemm_kernel<T>, grid, block, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C,
                  ldc);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace nvz::cuda

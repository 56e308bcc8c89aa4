// Tiled GEMM for the CUDA backend: each 16x16 thread block computes a 64x64 tile of C,
// each thread a 4x4 register tile, with 64x16 panels of op(A) and op(B) staged in shared
// memory. Transposes are folded into the panel loads, so all four variants share one kernel.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda_ops.h"

namespace nvz {
namespace cuda {
namespace {

constexpr int TILE = 64, KT = 16, TPB = 16, RT = TILE / TPB;  // RT x RT outputs per thread

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so the next call starts clean
    throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(err));
  }
}

// element (r, c) of op(X), where X is stored row-major with leading dimension ld
template <typename T>
__device__ __forceinline__ T op_at(const T* X, bool trans, int64_t ld, int64_t r, int64_t c) {
  return trans ? X[c * ld + r] : X[r * ld + c];
}

template <typename T>
__global__ void gemm_kernel(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                            const T* __restrict__ A, int64_t lda, const T* __restrict__ B,
                            int64_t ldb, T* __restrict__ C) {
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
      if (gr < M && gc < N) C[gr * N + gc] = acc[r][c];
    }
}

// Device buffer released on every exit path (exceptions included).
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  explicit DeviceBuffer(int64_t n) {
    if (n > 0) check(cudaMalloc(&ptr, sizeof(T) * n), "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

int device_count(std::string* reason) {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    if (reason)
      *reason = std::string(cudaGetErrorString(err)) + " (cudaError " + std::to_string(err) + ")";
    return 0;
  }
  if (n == 0 && reason) *reason = "no CUDA device found";
  return n;
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, const T* B, T* C) {
  if (M == 0 || N == 0) return;
  DeviceBuffer<T> dA(M * K), dB(K * N), dC(M * N);
  check(cudaMemcpy(dA.ptr, A, sizeof(T) * M * K, cudaMemcpyHostToDevice), "copy A");
  check(cudaMemcpy(dB.ptr, B, sizeof(T) * K * N, cudaMemcpyHostToDevice), "copy B");
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  dim3 block(TPB, TPB), grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE);
  gemm_kernel<T><<<grid, block>>>(ta, tb, M, N, K, dA.ptr, lda, dB.ptr, ldb, dC.ptr);
  check(cudaGetLastError(), "gemm kernel launch");
  check(cudaMemcpy(C, dC.ptr, sizeof(T) * M * N, cudaMemcpyDeviceToHost), "copy C");
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, const float*, const float*,
                          float*);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, const double*, const double*,
                           double*);

}  // namespace cuda
}  // namespace nvz

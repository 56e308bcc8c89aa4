// Whole-array kernels (array_ops.h): grid-stride loops, so any size fits one launch.
#include "cuda/array_ops.h"
#include "cuda/device.h"

namespace nvz::cuda {
namespace {

template <typename T>
__global__ void axpy_kernel(int64_t n, T alpha, const T* x, T* y) {  // add_(y, y) aliases
  NVZ_EACH(i, n) y[i] += alpha * x[i];
}
template <typename T>
__global__ void add_kernel(int64_t n, const T* a, const T* b, T* out) {
  NVZ_EACH(i, n) out[i] = a[i] + b[i];
}
template <typename T>
__global__ void mul_kernel(int64_t n, const T* a, const T* b, T* out) {
  NVZ_EACH(i, n) out[i] = a[i] * b[i];
}
template <typename T>
__global__ void fill_kernel(int64_t n, T value, T* __restrict__ y) {
  NVZ_EACH(i, n) y[i] = value;
}
template <typename T>
__global__ void scale_kernel(int64_t n, T alpha, T* __restrict__ y) {
  NVZ_EACH(i, n) y[i] *= alpha;
}
template <typename T>
__global__ void add_row_vector_kernel(int64_t rows, int64_t cols, const T* __restrict__ b,
                                      T* __restrict__ y) {
  NVZ_EACH(i, rows * cols) y[i] += b[i % cols];
}

template <typename T>
__global__ void swap01_kernel(int64_t a, int64_t b, int64_t c, const T* __restrict__ x,
                              T* __restrict__ out) {
  NVZ_EACH(o,
           a * b * c) {  // o indexes out (b, a, c): consecutive threads write consecutive elements
    const int64_t k = o % c, i = (o / c) % a, j = o / (c * a);
    out[o] = x[(i * b + j) * c + k];
  }
}

// One block per group of 32 columns; its 8 rows of 32 threads stride down the rows, then the
// 8 partial sums per column are added in a fixed order (deterministic, no atomics).
constexpr int SUM_COLS = 32, SUM_ROWS = 8;
template <typename T>
__global__ void sum_rows_kernel(int64_t rows, int64_t cols, const T* __restrict__ x,
                                T* __restrict__ out, bool accumulate) {
  __shared__ T part[SUM_ROWS][SUM_COLS];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * SUM_COLS + threadIdx.x;
  T s = T(0);
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += SUM_ROWS) s += x[r * cols + c];
  part[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    T total = T(0);
    for (int k = 0; k < SUM_ROWS; ++k) total += part[k][threadIdx.x];
    out[c] = accumulate ? out[c] + total : total;
  }
}

}  // namespace

template <typename T>
void axpy(int64_t n, T alpha, const T* x, T* y) {
  if (n > 0) NVZ_LAUNCH(axpy_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, alpha, x, y);
}
template <typename T>
void add(int64_t n, const T* a, const T* b, T* out) {
  if (n > 0) NVZ_LAUNCH(add_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, a, b, out);
}
template <typename T>
void mul(int64_t n, const T* a, const T* b, T* out) {
  if (n > 0) NVZ_LAUNCH(mul_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, a, b, out);
}
template <typename T>
void fill(int64_t n, T value, T* y) {
  if (n > 0) NVZ_LAUNCH(fill_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, value, y);
}
template <typename T>
void scale(int64_t n, T alpha, T* y) {
  if (n > 0) NVZ_LAUNCH(scale_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, alpha, y);
}
template <typename T>
void sum_rows(int64_t rows, int64_t cols, const T* x, T* out, bool accumulate) {
  if (cols == 0) return;
  NVZ_LAUNCH_SYNC(sum_rows_kernel<T>, dim3(blocks_for(cols, SUM_COLS)), dim3(SUM_COLS, SUM_ROWS),
                  rows, cols, x, out, accumulate);
}
template <typename T>
void add_row_vector(int64_t rows, int64_t cols, const T* b, T* y) {
  if (rows * cols > 0)
    NVZ_LAUNCH(add_row_vector_kernel<T>, dim3(each_grid(rows * cols)), dim3(EACH_THREADS), rows,
               cols, b, y);
}

template <typename T>
void swap01(int64_t a, int64_t b, int64_t c, const T* x, T* out) {
  if (a * b * c > 0)
    NVZ_LAUNCH(swap01_kernel<T>, dim3(each_grid(a * b * c)), dim3(EACH_THREADS), a, b, c, x, out);
}

#define NVZ_INSTANTIATE(T)                                         \
  template void axpy<T>(int64_t, T, const T*, T*);                 \
  template void add<T>(int64_t, const T*, const T*, T*);           \
  template void mul<T>(int64_t, const T*, const T*, T*);           \
  template void fill<T>(int64_t, T, T*);                           \
  template void scale<T>(int64_t, T, T*);                          \
  template void sum_rows<T>(int64_t, int64_t, const T*, T*, bool); \
  template void add_row_vector<T>(int64_t, int64_t, const T*, T*); \
  template void swap01<T>(int64_t, int64_t, int64_t, const T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)

}  // namespace nvz::cuda

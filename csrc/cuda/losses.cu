// Losses and their gradients on the device (elementwise.h): mean squared error, binary
// cross-entropy on logits, softmax cross-entropy; the formulas, the float64 sums and the stable
// forms of the CPU's (neuralviz/_native/losses.pyx through csrc/common/nn_math.h).
//
// The loss is a deterministic two-pass reduction, no atomics: pass 1 grid-strides over the
// elements (rows for softmax), each thread summing its terms in float64, and each block reduces
// its threads' sums in shared memory in a fixed tree order into one partial per block; pass 2,
// one block, sums the partials in a fixed order into a small result record, which the host
// copies back (the one copy a loss value needs). The gradients of mse and bce are elementwise
// and written in pass 1. Softmax cross-entropy also finds the first out-of-range label (a min
// over row indices, reduced alongside the sum); its gradient kernel runs after pass 2 and reads
// that flag on the device, so a bad label leaves grad untouched without a host round trip.
#include <cstddef>
#include <cstdint>

#include "cuda/device.h"
#include "cuda/elementwise.h"
#include "cuda/tensor.h"

namespace nvz::cuda {
namespace {

constexpr int REDUCE_THREADS = 128;   // a reduction block; a power of two (the tree halves it)
constexpr unsigned MAX_PARTS = 1024;  // enough blocks to fill the GPU; pass 2 sums them quickly
constexpr int64_t NO_BAD_LABEL = INT64_MAX;

unsigned parts_for(int64_t n) {
  return nvz_min(blocks_for(n, REDUCE_THREADS), MAX_PARTS);
}

struct Sum {
  __device__ double operator()(double a, double b) const { return a + b; }
};
struct Min {
  __device__ int64_t operator()(int64_t a, int64_t b) const { return b < a ? b : a; }
};

// Every thread of the block calls it with its value; all get the block's combination, formed in
// a fixed tree order (so the same inputs give the same bits on every run).
template <typename V, typename Op>
__device__ V block_reduce(V* shared, V v, Op op) {
  const unsigned t = threadIdx.x;
  shared[t] = v;
  __syncthreads();
  for (unsigned s = REDUCE_THREADS / 2; s > 0; s >>= 1) {
    if (t < s) shared[t] = op(shared[t], shared[t + s]);
    __syncthreads();
  }
  const V result = shared[0];
  __syncthreads();  // shared may be reused by the caller's next reduction
  return result;
}

// ---- pass 1 of the elementwise losses: terms summed per block, gradient written -------------

template <typename T>
__global__ void mse_kernel(int64_t n, const T* pred, const T* target, T* grad, T scale,
                           double* partials) {
  __shared__ double part[REDUCE_THREADS];
  double s = 0;
  NVZ_EACH(i, n) {
    const T p = pred[i], t = target[i];  // read before grad[i], which may be pred[i]
    const double d = static_cast<double>(p) - static_cast<double>(t);
    s += d * d;
    if (grad != nullptr) grad[i] = scale * (p - t);
  }
  s = block_reduce(part, s, Sum{});
  if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// max(x, 0) - x t + log1p(e^-|x|) in float64, where it stays exact for large |x|; its derivative
// sigmoid(x) - t from the same e, scaled by inv_n and rounded once to T.
template <typename T>
__global__ void bce_kernel(int64_t n, const T* logits, const T* targets, T* grad, double inv_n,
                           double* partials) {
  __shared__ double part[REDUCE_THREADS];
  double s = 0;
  NVZ_EACH(i, n) {
    const double x = logits[i], t = targets[i];
    const double e = exp(x < 0 ? x : -x);
    s += (x > 0 ? x : 0.0) - x * t + log1p(e);
    if (grad != nullptr) grad[i] = static_cast<T>(((x < 0 ? e : 1.0) / (1.0 + e) - t) * inv_n);
  }
  s = block_reduce(part, s, Sum{});
  if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// ---- softmax cross-entropy -------------------------------------------------------------------

// One thread per row: m + log(sum_c e^(x_c - m)) - x[label], m the row max, the exponentials in
// T and their sum in float64 (nn_math.h's softmax_xent_row). Keeps m and 1/sum per row for the
// gradient kernel (when row_max is not null). A bad label skips its row (C may be 0) and is
// reduced as the smallest such row index.
template <typename T>
__global__ void xent_rows_kernel(int64_t rows, int64_t C, const T* x, const int64_t* labels,
                                 T* row_max, T* row_inv_sum, double* partials, int64_t* first_bad) {
  __shared__ double part[REDUCE_THREADS];
  __shared__ int64_t bad[REDUCE_THREADS];
  double s = 0;
  int64_t first = NO_BAD_LABEL;
  NVZ_EACH(i, rows) {
    const int64_t label = labels[i];
    if (label < 0 || label >= C) {
      first = first < i ? first : i;
      continue;
    }
    const T* xr = x + i * C;
    T m = xr[0];
    for (int64_t c = 1; c < C; ++c) m = xr[c] > m ? xr[c] : m;
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += exp_of(xr[c] - m);
    s += (m + log(sum)) - xr[label];
    if (row_max != nullptr) {
      row_max[i] = m;
      row_inv_sum[i] = static_cast<T>(1 / sum);
    }
  }
  s = block_reduce(part, s, Sum{});
  first = block_reduce(bad, first, Min{});
  if (threadIdx.x == 0) {
    partials[blockIdx.x] = s;
    first_bad[blockIdx.x] = first;
  }
}

// (e^(x - m) / sum - [c == label]) / rows per element, in nn_math.h's order of operations;
// nothing at all when pass 2 found a bad label.
template <typename T>
__global__ void xent_grad_kernel(int64_t rows, int64_t C, const T* x, const int64_t* labels,
                                 const T* row_max, const T* row_inv_sum, T inv_n,
                                 const XentResult* result, T* grad) {
  if (result->bad_index >= 0) return;  // no __syncthreads here: an early return is fine
  NVZ_EACH(k, rows * C) {
    const int64_t i = k / C;
    const T g = exp_of(x[k] - row_max[i]) * row_inv_sum[i] * inv_n;
    grad[k] = k - i * C == labels[i] ? g - inv_n : g;
  }
}

// ---- pass 2: one block sums the partials (and finds the first bad label) in a fixed order ----

__global__ void finish_kernel(int parts, const double* partials, const int64_t* first_bad,
                              const int64_t* labels, XentResult* out) {
  __shared__ double part[REDUCE_THREADS];
  __shared__ int64_t bad[REDUCE_THREADS];
  double s = 0;
  int64_t first = NO_BAD_LABEL;
  for (int k = threadIdx.x; k < parts; k += REDUCE_THREADS) {
    s += partials[k];
    if (first_bad != nullptr) first = first_bad[k] < first ? first_bad[k] : first;
  }
  s = block_reduce(part, s, Sum{});
  first = block_reduce(bad, first, Min{});
  if (threadIdx.x == 0) {
    out->total = s;
    out->bad_index = first == NO_BAD_LABEL ? -1 : first;
    out->bad_label = first == NO_BAD_LABEL ? 0 : labels[first];
  }
}

// ---- host side -------------------------------------------------------------------------------

// One device allocation (a Storage, freed on scope exit, also when a launch throws) carved into
// 8-byte-aligned pieces.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : mem_(bytes) {}
  // The next `count` items of type V.
  template <typename V>
  V* take(int64_t count) {
    V* p = reinterpret_cast<V*>(static_cast<char*>(mem_.ptr) + used_);
    used_ += (static_cast<size_t>(count) * sizeof(V) + 7) / 8 * 8;
    return p;
  }

 private:
  Storage mem_;
  size_t used_ = 0;
};

constexpr size_t padded(size_t bytes) {
  return (bytes + 7) / 8 * 8;
}

// How mse and bce go: pass1(parts, partials) writes one partial sum per block, pass 2 adds them
// in order, and the sum comes back to the host.
template <typename Pass1>
double reduced_sum(int64_t n, Pass1&& pass1) {
  const unsigned parts = parts_for(n);
  Scratch scratch(padded(sizeof(XentResult)) + parts * sizeof(double));
  auto* result = scratch.take<XentResult>(1);
  auto* partials = scratch.take<double>(parts);
  pass1(parts, partials);
  NVZ_LAUNCH_SYNC(finish_kernel, dim3(1), dim3(REDUCE_THREADS), static_cast<int>(parts), partials,
                  nullptr, nullptr, result);
  double total = 0;
  copy_to_host(&total, &result->total, sizeof(double));
  return total;
}

}  // namespace

template <typename T>
double mse_sum(int64_t n, const T* pred, const T* target, T* grad) {
  if (n <= 0) return 0;
  const T scale = static_cast<T>(2.0 / static_cast<double>(n));  // nn_math.h's mean_scale(n, 2)
  return reduced_sum(n, [&](unsigned parts, double* partials) {
    NVZ_LAUNCH_SYNC(mse_kernel<T>, dim3(parts), dim3(REDUCE_THREADS), n, pred, target, grad, scale,
                    partials);
  });
}

template <typename T>
double bce_with_logits_sum(int64_t n, const T* logits, const T* targets, T* grad) {
  if (n <= 0) return 0;
  const double inv_n = 1.0 / static_cast<double>(n);
  return reduced_sum(n, [&](unsigned parts, double* partials) {
    NVZ_LAUNCH_SYNC(bce_kernel<T>, dim3(parts), dim3(REDUCE_THREADS), n, logits, targets, grad,
                    inv_n, partials);
  });
}

template <typename T>
XentResult softmax_cross_entropy_sum(int64_t rows, int64_t classes, const T* logits,
                                     const int64_t* labels, T* grad) {
  if (rows <= 0) return XentResult{};
  const unsigned parts = parts_for(rows);
  const int64_t kept = grad != nullptr ? rows : 0;  // per-row m and 1/sum, for the gradient
  Scratch scratch(padded(sizeof(XentResult)) + parts * (sizeof(double) + sizeof(int64_t)) +
                  2 * padded(kept * sizeof(T)));
  auto* result = scratch.take<XentResult>(1);
  auto* partials = scratch.take<double>(parts);
  auto* first_bad = scratch.take<int64_t>(parts);
  T* row_max = grad != nullptr ? scratch.take<T>(kept) : nullptr;
  T* row_inv_sum = grad != nullptr ? scratch.take<T>(kept) : nullptr;
  NVZ_LAUNCH_SYNC(xent_rows_kernel<T>, dim3(parts), dim3(REDUCE_THREADS), rows, classes, logits,
                  labels, row_max, row_inv_sum, partials, first_bad);
  NVZ_LAUNCH_SYNC(finish_kernel, dim3(1), dim3(REDUCE_THREADS), static_cast<int>(parts), partials,
                  first_bad, labels, result);
  if (grad != nullptr && classes > 0) {
    const T inv_n = static_cast<T>(1.0 / static_cast<double>(rows));  // mean_scale(rows)
    NVZ_LAUNCH(xent_grad_kernel<T>, dim3(each_grid(rows * classes)), dim3(EACH_THREADS), rows,
               classes, logits, labels, row_max, row_inv_sum, inv_n, result, grad);
  }
  XentResult r;
  copy_to_host(&r, result, sizeof(XentResult));
  return r;
}

#define NVZ_INSTANTIATE(T)                                                 \
  template double mse_sum<T>(int64_t, const T*, const T*, T*);             \
  template double bce_with_logits_sum<T>(int64_t, const T*, const T*, T*); \
  template XentResult softmax_cross_entropy_sum<T>(int64_t, int64_t, const T*, const int64_t*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)

}  // namespace nvz::cuda

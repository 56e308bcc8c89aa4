// Pooling kernels for the CUDA backend (pool.h). Forward: one thread per output, the window
// clipped to the input, taps in row-major order with the CPU's rules, so results are
// bit-identical to csrc/cpu/pool.cpp. Backward as gathers where the geometry is known:
// avg-pool's input pixel sums the outputs whose windows hold it, in the CPU's (oh, ow) order
// (bit-identical again). Max-pool's backward gets only the indices, not the window geometry, so
// it routes each plane's gradients in one thread, in output order: deterministic, bit-identical,
// and no atomics; its parallelism is the N*C planes.
#include "cuda/device.h"
#include "cuda/pool.h"

namespace nvz::cuda {
namespace {

// The divisor of output (oh, ow)'s average: its window up to the padded border.
__device__ __forceinline__ int64_t window_count(const PoolGeom& g, int64_t h0, int64_t w0) {
  return (nvz_min(h0 + g.KH, g.H + g.PH) - h0) * (nvz_min(w0 + g.KW, g.W + g.PW) - w0);
}

// Output o's window: its top-left corner (h0, w0) in padded coordinates, the rows [hlo, hhi) and
// columns [wlo, whi) of it inside the input plane, and the plane it reads (o's image and channel).
struct Window {
  int64_t h0, w0, hlo, hhi, wlo, whi, plane;
};
__device__ __forceinline__ Window window_of(const PoolGeom& g, int64_t o) {
  const int64_t ow = o % g.OW, oh = (o / g.OW) % g.OH;
  const int64_t h0 = oh * g.SH - g.PH, w0 = ow * g.SW - g.PW;
  return {h0,
          w0,
          nvz_max<int64_t>(h0, 0),
          nvz_min(h0 + g.KH, g.H),
          nvz_max<int64_t>(w0, 0),
          nvz_min(w0 + g.KW, g.W),
          (o / (g.OH * g.OW)) * g.H * g.W};
}

// neg_inf: -infinity, passed in so device code needs no numeric_limits.
template <typename T>
__global__ void max_pool_kernel(PoolGeom g, const T* __restrict__ x, T* __restrict__ y,
                                int64_t* __restrict__ idx, T neg_inf) {
  NVZ_EACH(o, g.N * g.C * g.OH * g.OW) {
    const Window win = window_of(g, o);
    const T* plane = x + win.plane;
    T best = neg_inf;
    int64_t arg = win.hlo * g.W + win.wlo;
    for (int64_t ih = win.hlo; ih < win.hhi; ++ih)
      for (int64_t iw = win.wlo; iw < win.whi; ++iw) {
        const T v = plane[ih * g.W + iw];
        if (v > best || v != v) best = v, arg = ih * g.W + iw;  // first max wins; NaN is max
      }
    y[o] = best;
    idx[o] = arg;
  }
}

template <typename T>
__global__ void avg_pool_kernel(PoolGeom g, const T* __restrict__ x, T* __restrict__ y) {
  NVZ_EACH(o, g.N * g.C * g.OH * g.OW) {
    const Window win = window_of(g, o);
    const T* plane = x + win.plane;
    T acc = T(0);
    for (int64_t ih = win.hlo; ih < win.hhi; ++ih)
      for (int64_t iw = win.wlo; iw < win.whi; ++iw) acc += plane[ih * g.W + iw];
    y[o] = acc / static_cast<T>(window_count(g, win.h0, win.w0));
  }
}

// The first output index (>= 0) whose window [o*S - P, o*S - P + K) can reach position i.
__device__ __forceinline__ int64_t first_window(int64_t i, int64_t K, int64_t S, int64_t P) {
  const int64_t t = i + P - K + 1;
  return t <= 0 ? 0 : (t + S - 1) / S;
}

template <typename T>
__global__ void avg_pool_backward_kernel(PoolGeom g, const T* __restrict__ gy, T* __restrict__ gx) {
  const int64_t HW = g.H * g.W;
  NVZ_EACH(i, g.N * g.C * HW) {
    const int64_t iw = i % g.W, ih = (i / g.W) % g.H;
    const T* plane = gy + (i / HW) * g.OH * g.OW;
    const int64_t oh_hi = nvz_min((ih + g.PH) / g.SH + 1, g.OH);
    const int64_t ow_hi = nvz_min((iw + g.PW) / g.SW + 1, g.OW);
    T acc = T(0);
    for (int64_t oh = first_window(ih, g.KH, g.SH, g.PH); oh < oh_hi; ++oh)
      for (int64_t ow = first_window(iw, g.KW, g.SW, g.PW); ow < ow_hi; ++ow) {
        const int64_t h0 = oh * g.SH - g.PH, w0 = ow * g.SW - g.PW;
        acc += plane[oh * g.OW + ow] / static_cast<T>(window_count(g, h0, w0));
      }
    gx[i] = acc;
  }
}

// Whether output e's index could come from max_pool2d, as csrc/cpu/pool.cpp's
// check_max_pool_indices decides: inside the plane, its column not left of its left
// neighbour's, its row not above its upper neighbour's. e is the output's position in its plane.
__device__ __forceinline__ bool index_ok(const PoolGeom& g, const int64_t* ip, int64_t e) {
  const int64_t i = ip[e];
  if (i < 0 || i >= g.H * g.W) return false;
  if (e % g.OW > 0 && i % g.W < ip[e - 1] % g.W) return false;
  return e < g.OW || i / g.W >= ip[e - g.OW] / g.W;
}

// One block per plane: zero it, then take the output rows in order, one step each (a barrier
// between steps), the row's outputs in parallel. Outputs of one row that picked the same pixel
// form a run of equal columns (columns never decrease along a row); the run's first output for
// that pixel adds them all, in order, onto the pixel. So every pixel receives its gradients in
// the CPU's order (output rows, then columns): bit-identical, deterministic, no atomics.
// Invalid indices are skipped and flag *bad (the binding then raises the CPU's error).
constexpr int MAXPOOL_THREADS = 64;
template <typename T>
__global__ void max_pool_backward_kernel(PoolGeom g, const T* __restrict__ gy,
                                         const int64_t* __restrict__ idx, T* __restrict__ gx,
                                         int64_t* __restrict__ bad) {
  const int64_t HW = g.H * g.W, P = g.OH * g.OW, t = threadIdx.x;
  for (int64_t p = blockIdx.x; p < g.N * g.C; p += gridDim.x) {  // the same p for the block
    T* plane = gx + p * HW;
    const int64_t* ip = idx + p * P;
    const T* gp = gy + p * P;
    for (int64_t i = t; i < HW; i += MAXPOOL_THREADS) plane[i] = T(0);
    __syncthreads();
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t e0 = oh * g.OW;
      for (int64_t ow = t; ow < g.OW; ow += MAXPOOL_THREADS) {
        const int64_t e = e0 + ow, q = ip[e];
        if (!index_ok(g, ip, e)) {
          *bad = 1;
          continue;
        }
        const int64_t col = q % g.W;
        bool leader = true;  // no earlier output of the run picked q
        for (int64_t b = e - 1; b >= e0 && index_ok(g, ip, b) && ip[b] % g.W == col; --b)
          if (ip[b] == q) leader = false;
        if (!leader) continue;
        T acc = plane[q];
        for (int64_t f = e; f < e0 + g.OW && index_ok(g, ip, f) && ip[f] % g.W == col; ++f)
          if (ip[f] == q) acc += gp[f];
        plane[q] = acc;
      }
      __syncthreads();
    }
  }
}

}  // namespace

template <typename T>
void max_pool_forward(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
  const int64_t n = g.N * g.C * g.OH * g.OW;
  if (n > 0)
    NVZ_LAUNCH(max_pool_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), g, x, y, idx,
               -T(INFINITY));
}

template <typename T>
void max_pool_backward(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx, int64_t* bad) {
  const int64_t planes = g.N * g.C;
  const unsigned blocks = static_cast<unsigned>(nvz_min<int64_t>(planes, int64_t(1) << 20));
  if (planes > 0)
    NVZ_LAUNCH_SYNC(max_pool_backward_kernel<T>, dim3(blocks), dim3(MAXPOOL_THREADS), g, gy, idx,
                    gx, bad);
}

template <typename T>
void avg_pool_forward(const PoolGeom& g, const T* x, T* y) {
  const int64_t n = g.N * g.C * g.OH * g.OW;
  if (n > 0) NVZ_LAUNCH(avg_pool_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), g, x, y);
}

template <typename T>
void avg_pool_backward(const PoolGeom& g, const T* gy, T* gx) {
  const int64_t n = g.N * g.C * g.H * g.W;
  if (n > 0)
    NVZ_LAUNCH(avg_pool_backward_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), g, gy, gx);
}

#define NVZ_POOL_INSTANTIATE(T)                                                                \
  template void max_pool_forward<T>(const PoolGeom&, const T*, T*, int64_t*);                  \
  template void max_pool_backward<T>(const PoolGeom&, const T*, const int64_t*, T*, int64_t*); \
  template void avg_pool_forward<T>(const PoolGeom&, const T*, T*);                            \
  template void avg_pool_backward<T>(const PoolGeom&, const T*, T*);
NVZ_POOL_INSTANTIATE(float)
NVZ_POOL_INSTANTIATE(double)

}  // namespace nvz::cuda

// Recurrences over whole sequences on the device (recurrent.h): the time loops on the host,
// the matrix products through nvz::cuda::gemm, and one fused elementwise kernel per step for
// all of a cell's gate math (forward) or gate gradients (backward).
//
// Why per-step fused kernels: at T50 N32 H128 a step is a (32 x 128) x (128 x 4H) product and
// a few thousand gate values, so launch count, not arithmetic, bounds the time. One launch for
// every gate of a step (instead of one per activation or per add) keeps it at two launches per
// step. Biases are added inside the gate kernel (they cost it one cached load), so the input
// projection needs no bias pass of its own.
#include "cuda/array_ops.h"
#include "cuda/device.h"
#include "cuda/gemm.h"
#include "cuda/recurrent.h"
#include "cuda/runtime.h"

namespace nvz::cuda {
namespace {

template <typename T>
__device__ __forceinline__ T sigmoid(T v) {
  return T(1) / (T(1) + exp(-v));
}

// ---- forward gate kernels (one thread per hidden unit of one batch row) -----------------

// a (N, H): the pre-activation less biases in, h_t out.
template <typename T>
__global__ void rnn_step_kernel(int64_t N, int64_t H, T* __restrict__ a, const T* __restrict__ b_ih,
                                const T* __restrict__ b_hh) {
  NVZ_EACH(e, N * H) {
    const int64_t j = e % H;
    a[e] = tanh(a[e] + (b_ih[j] + b_hh[j]));
  }
}

// gates (N, 4H): pre-activations less biases in, i, f, g, o out; c = f c_prev + i g,
// h = o tanh(c).
template <typename T>
__global__ void lstm_step_kernel(int64_t N, int64_t H, T* __restrict__ gates,
                                 const T* __restrict__ b_ih, const T* __restrict__ b_hh,
                                 const T* __restrict__ c_prev, T* __restrict__ c,
                                 T* __restrict__ h) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H;
    T* g = gates + n * 4 * H + j;
    auto pre = [&](int q) { return g[q * H] + (b_ih[j + q * H] + b_hh[j + q * H]); };
    const T i = sigmoid(pre(0)), f = sigmoid(pre(1)), gg = tanh(pre(2)), o = sigmoid(pre(3));
    const T cv = f * c_prev[e] + i * gg;
    g[0] = i;
    g[H] = f;
    g[2 * H] = gg;
    g[3 * H] = o;
    c[e] = cv;
    h[e] = o * tanh(cv);
  }
}

// gates (N, 3H): x W_ih^T (no bias) in, r, z, n out; hh (N, 3H): h_prev W_hh^T (no bias).
// The n gate's hidden part (hn, kept for the backward) is scaled by r before it is added,
// which is why it cannot share the input projection's buffer as the LSTM's does.
template <typename T>
__global__ void gru_step_kernel(int64_t N, int64_t H, T* __restrict__ gates,
                                const T* __restrict__ hh, const T* __restrict__ b_ih,
                                const T* __restrict__ b_hh, const T* __restrict__ h_prev,
                                T* __restrict__ hn, T* __restrict__ h) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H;
    T* g = gates + n * 3 * H + j;
    const T* p = hh + n * 3 * H + j;
    // Same grouping as torch and the CPU kernel: (x W_ih^T + b_ih) + (h W_hh^T + b_hh).
    const T r = sigmoid((g[0] + b_ih[j]) + (p[0] + b_hh[j]));
    const T z = sigmoid((g[H] + b_ih[j + H]) + (p[H] + b_hh[j + H]));
    const T hnv = p[2 * H] + b_hh[j + 2 * H];
    const T nv = tanh((g[2 * H] + b_ih[j + 2 * H]) + r * hnv);
    g[0] = r;
    g[H] = z;
    g[2 * H] = nv;
    hn[e] = hnv;
    h[e] = nv + z * (h_prev[e] - nv);  // (1 - z) n + z h_prev
  }
}

// ---- backward gate-gradient kernels -----------------------------------------------------

// da = (dh + grad_y) (1 - h^2)
template <typename T>
__global__ void rnn_back_kernel(int64_t N, int64_t H, const T* __restrict__ h,
                                const T* __restrict__ grad_y, const T* __restrict__ dh,
                                T* __restrict__ da) {
  NVZ_EACH(e, N * H) da[e] = (dh[e] + grad_y[e]) * (T(1) - h[e] * h[e]);
}

// dgates (N, 4H) from dh (+ grad_y) and dc; dc becomes dL/dc_{t-1} in place. tanh(c_t) is
// recomputed (cheaper than storing it).
template <typename T>
__global__ void lstm_back_kernel(int64_t N, int64_t H, const T* __restrict__ gates,
                                 const T* __restrict__ c, const T* __restrict__ c_prev,
                                 const T* __restrict__ grad_y, const T* __restrict__ dh,
                                 T* __restrict__ dc, T* __restrict__ dgates) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H;
    const T* g = gates + n * 4 * H + j;
    const T i = g[0], f = g[H], gg = g[2 * H], o = g[3 * H];
    const T tc = tanh(c[e]);
    const T dhv = dh[e] + grad_y[e];
    const T dcv = dc[e] + dhv * o * (T(1) - tc * tc);
    T* d = dgates + n * 4 * H + j;
    d[0] = dcv * gg * i * (T(1) - i);
    d[H] = dcv * c_prev[e] * f * (T(1) - f);
    d[2 * H] = dcv * i * (T(1) - gg * gg);
    d[3 * H] = dhv * tc * o * (T(1) - o);
    dc[e] = dcv * f;
  }
}

// dgi = gradient of x W_ih^T + b_ih = [dar | daz | dan], dgh = gradient of h W_hh^T + b_hh =
// [dar | daz | dan r]; dh becomes (dh + grad_y) z, the part of dL/dh_{t-1} that bypasses W_hh.
template <typename T>
__global__ void gru_back_kernel(int64_t N, int64_t H, const T* __restrict__ gates,
                                const T* __restrict__ hn, const T* __restrict__ h_prev,
                                const T* __restrict__ grad_y, T* __restrict__ dh,
                                T* __restrict__ dgi, T* __restrict__ dgh) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H, row = n * 3 * H + j;
    const T r = gates[row], z = gates[row + H], nv = gates[row + 2 * H];
    const T dhv = dh[e] + grad_y[e];
    const T dan = dhv * (T(1) - z) * (T(1) - nv * nv);
    const T dar = dan * hn[e] * r * (T(1) - r);
    const T daz = dhv * (h_prev[e] - nv) * z * (T(1) - z);
    dh[e] = dhv * z;
    dgi[row] = dar;
    dgi[row + H] = daz;
    dgi[row + 2 * H] = dan;
    dgh[row] = dar;
    dgh[row + H] = daz;
    dgh[row + 2 * H] = dan * r;
  }
}

// ---- host helpers -----------------------------------------------------------------------

template <typename T>
void copy(T* dst, const T* src, int64_t n) {
  if (n > 0 && dst != src) copy_on_device(dst, src, static_cast<size_t>(n) * sizeof(T));
}

template <typename T>
void copy_or_zero(T* dst, const T* src, int64_t n) {
  if (src)
    copy(dst, src, n);
  else if (n > 0)
    device_zero(dst, static_cast<size_t>(n) * sizeof(T));
}

// The input projection of all T steps at once: P (T*N, GH) = X W_ih^T.
template <typename T>
void project_inputs(const RnnDims& s, int64_t GH, const T* x, const T* w_ih, T* p) {
  gemm<T>(false, true, s.T * s.N, GH, s.I, T(1), x, s.I, w_ih, s.I, T(0), p, GH);
}

// One step's hidden projection: out (N, GH) = h_prev W_hh^T + beta out.
template <typename T>
void project_hidden(const RnnDims& s, int64_t GH, const T* h_prev, const T* w_hh, T beta, T* out) {
  gemm<T>(false, true, s.N, GH, s.H, T(1), h_prev, s.H, w_hh, s.H, beta, out, GH);
}

// After the time loop: gx = dA_ih W_ih, gw_ih = dA_ih^T X, gw_hh = dA_hh^T H_prev with
// H_prev = [h0; y_0 .. y_{T-2}] (two products, so H_prev is never gathered), bias gradients
// by column sums. dA_ih and dA_hh are (T*N, GH); they are the same array for RNN and LSTM.
template <typename T>
void input_and_weight_grads(const RnnDims& s, int64_t GH, const T* dA_ih, const T* dA_hh,
                            const T* x, const T* h0, const T* y, const T* w_ih, T* gx, T* gw_ih,
                            T* gw_hh, T* gb_ih, T* gb_hh) {
  const int64_t rows = s.T * s.N;
  gemm<T>(false, false, rows, s.I, GH, T(1), dA_ih, GH, w_ih, s.I, T(0), gx, s.I);
  gemm<T>(true, false, GH, s.I, rows, T(1), dA_ih, GH, x, s.I, T(0), gw_ih, s.I);
  gemm<T>(true, false, GH, s.H, s.N, T(1), dA_hh, GH, h0, s.H, T(0), gw_hh, s.H);
  if (s.T > 1)
    gemm<T>(true, false, GH, s.H, rows - s.N, T(1), dA_hh + s.N * GH, GH, y, s.H, T(1), gw_hh, s.H);
  sum_rows<T>(rows, GH, dA_ih, gb_ih, false);
  if (dA_hh == dA_ih)
    copy(gb_hh, gb_ih, GH);  // both biases enter the pre-activation identically
  else
    sum_rows<T>(rows, GH, dA_hh, gb_hh, false);
}

// T == 0: gh0 = grad_hT (or 0), weight and bias gradients 0, gx empty.
template <typename T>
void empty_sequence_grads(const RnnDims& s, int64_t GH, const T* grad_hT, T* gh0, T* gw_ih,
                          T* gw_hh, T* gb_ih, T* gb_hh) {
  copy_or_zero<T>(gh0, grad_hT, s.N * s.H);
  copy_or_zero<T>(gw_ih, nullptr, GH * s.I);
  copy_or_zero<T>(gw_hh, nullptr, GH * s.H);
  copy_or_zero<T>(gb_ih, nullptr, GH);
  copy_or_zero<T>(gb_hh, nullptr, GH);
}

}  // namespace

int64_t rnn_tanh_cache_size(const RnnDims&) {
  return 0;
}
int64_t lstm_cache_size(const RnnDims& s) {
  return s.T * s.N * 5 * s.H;
}
int64_t gru_cache_size(const RnnDims& s) {
  return s.T * s.N * 4 * s.H;
}
int64_t rnn_tanh_forward_work(const RnnDims&) {
  return 0;  // y holds the projections
}
int64_t lstm_forward_work(const RnnDims&) {
  return 0;  // the cache's gates hold the projections
}
int64_t gru_forward_work(const RnnDims& s) {
  return s.N * 3 * s.H;  // one step's h_prev W_hh^T
}
int64_t rnn_tanh_backward_work(const RnnDims& s) {
  return s.T * s.N * s.H;  // da
}
int64_t lstm_backward_work(const RnnDims& s) {
  return s.T * s.N * 4 * s.H;  // dgates
}
int64_t gru_backward_work(const RnnDims& s) {
  return 2 * s.T * s.N * 3 * s.H;  // dgi, dgh
}

// ---- RNN --------------------------------------------------------------------------------

template <typename T>
void rnn_tanh_forward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                      const T* b_ih, const T* b_hh, T* y, T* hT, T* /*cache*/, T* /*work*/) {
  const int64_t N = s.N, H = s.H, NH = N * H;
  if (s.T == 0) return copy(hT, h0, NH);
  project_inputs(s, H, x, w_ih, y);  // y first holds the projections, then each h_t
  for (int64_t t = 0; t < s.T; ++t) {
    T* y_t = y + t * NH;
    project_hidden(s, H, t ? y_t - NH : h0, w_hh, T(1), y_t);
    NVZ_LAUNCH(rnn_step_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, y_t, b_ih, b_hh);
  }
  copy(hT, y + (s.T - 1) * NH, NH);
}

template <typename T>
void rnn_tanh_backward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                       const T* y, const T* /*cache*/, const T* grad_y, const T* grad_hT, T* gx,
                       T* gh0, T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh, T* work) {
  const int64_t N = s.N, H = s.H, NH = N * H;
  if (s.T == 0) return empty_sequence_grads(s, H, grad_hT, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
  T* da = work;  // (T*N, H) gradient of the pre-activations
  T* dh = gh0;   // dL/dh_t carried backwards; ends as dL/dh0
  copy_or_zero(dh, grad_hT, NH);
  for (int64_t t = s.T - 1; t >= 0; --t) {
    T* da_t = da + t * NH;
    NVZ_LAUNCH(rnn_back_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, y + t * NH,
               grad_y + t * NH, dh, da_t);
    gemm<T>(false, false, N, H, H, T(1), da_t, H, w_hh, H, T(0), dh, H);
  }
  input_and_weight_grads(s, H, da, da, x, h0, y, w_ih, gx, gw_ih, gw_hh, gb_ih, gb_hh);
}

// ---- LSTM -------------------------------------------------------------------------------

template <typename T>
void lstm_forward(const RnnDims& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                  const T* w_hh, const T* b_ih, const T* b_hh, T* y, T* hT, T* cT, T* cache,
                  T* /*work*/) {
  const int64_t N = s.N, H = s.H, G = 4 * H, NH = N * H;
  if (s.T == 0) {
    copy(hT, h0, NH);
    return copy(cT, c0, NH);
  }
  T* gates = cache;  // projections in, activations out (the cache's layout)
  T* cells = cache + s.T * N * G;
  project_inputs(s, G, x, w_ih, gates);
  for (int64_t t = 0; t < s.T; ++t) {
    T* gates_t = gates + t * N * G;
    project_hidden(s, G, t ? y + (t - 1) * NH : h0, w_hh, T(1), gates_t);
    NVZ_LAUNCH(lstm_step_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, gates_t, b_ih,
               b_hh, t ? cells + (t - 1) * NH : c0, cells + t * NH, y + t * NH);
  }
  copy(hT, y + (s.T - 1) * NH, NH);
  copy(cT, cells + (s.T - 1) * NH, NH);
}

template <typename T>
void lstm_backward(const RnnDims& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                   const T* w_hh, const T* y, const T* cache, const T* grad_y, const T* grad_hT,
                   const T* grad_cT, T* gx, T* gh0, T* gc0, T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh,
                   T* work) {
  const int64_t N = s.N, H = s.H, G = 4 * H, NH = N * H;
  if (s.T == 0) {
    empty_sequence_grads(s, G, grad_hT, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
    return copy_or_zero(gc0, grad_cT, NH);
  }
  const T* gates = cache;
  const T* cells = cache + s.T * N * G;
  T* dgates = work;        // (T*N, 4H)
  T *dh = gh0, *dc = gc0;  // carried backwards; end as dL/dh0, dL/dc0
  copy_or_zero(dh, grad_hT, NH);
  copy_or_zero(dc, grad_cT, NH);
  for (int64_t t = s.T - 1; t >= 0; --t) {
    T* dgates_t = dgates + t * N * G;
    NVZ_LAUNCH(lstm_back_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H,
               gates + t * N * G, cells + t * NH, t ? cells + (t - 1) * NH : c0, grad_y + t * NH,
               dh, dc, dgates_t);
    gemm<T>(false, false, N, H, G, T(1), dgates_t, G, w_hh, H, T(0), dh, H);
  }
  input_and_weight_grads(s, G, dgates, dgates, x, h0, y, w_ih, gx, gw_ih, gw_hh, gb_ih, gb_hh);
}

// ---- GRU --------------------------------------------------------------------------------

template <typename T>
void gru_forward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* hT, T* cache, T* work) {
  const int64_t N = s.N, H = s.H, G = 3 * H, NH = N * H;
  if (s.T == 0) return copy(hT, h0, NH);
  T* gates = cache;  // input projections in, r, z, n out
  T* hn = cache + s.T * N * G;
  T* hh = work;  // (N, 3H) this step's h_prev W_hh^T
  project_inputs(s, G, x, w_ih, gates);
  for (int64_t t = 0; t < s.T; ++t) {
    const T* h_prev = t ? y + (t - 1) * NH : h0;
    project_hidden(s, G, h_prev, w_hh, T(0), hh);
    NVZ_LAUNCH(gru_step_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, gates + t * N * G,
               hh, b_ih, b_hh, h_prev, hn + t * NH, y + t * NH);
  }
  copy(hT, y + (s.T - 1) * NH, NH);
}

template <typename T>
void gru_backward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                  const T* y, const T* cache, const T* grad_y, const T* grad_hT, T* gx, T* gh0,
                  T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh, T* work) {
  const int64_t N = s.N, H = s.H, G = 3 * H, NH = N * H;
  if (s.T == 0) return empty_sequence_grads(s, G, grad_hT, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
  const T* gates = cache;
  const T* hn = cache + s.T * N * G;
  // Gradients of the input and of the hidden projection: they differ in the n part, which r
  // scales on the hidden side only.
  T* dgi = work;
  T* dgh = work + s.T * N * G;
  T* dh = gh0;  // dL/dh_t carried backwards; ends as dL/dh0
  copy_or_zero(dh, grad_hT, NH);
  for (int64_t t = s.T - 1; t >= 0; --t) {
    T* dgh_t = dgh + t * N * G;
    NVZ_LAUNCH(gru_back_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, gates + t * N * G,
               hn + t * NH, t ? y + (t - 1) * NH : h0, grad_y + t * NH, dh, dgi + t * N * G, dgh_t);
    // dL/dh_{t-1} = (dh_t + grad_y_t) z (left in dh by the kernel) + dgh_t W_hh
    gemm<T>(false, false, N, H, G, T(1), dgh_t, G, w_hh, H, T(1), dh, H);
  }
  input_and_weight_grads(s, G, dgi, dgh, x, h0, y, w_ih, gx, gw_ih, gw_hh, gb_ih, gb_hh);
}

#define NVZ_INSTANTIATE(T)                                                                         \
  template void rnn_tanh_forward<T>(const RnnDims&, const T*, const T*, const T*, const T*,        \
                                    const T*, const T*, T*, T*, T*, T*);                           \
  template void lstm_forward<T>(const RnnDims&, const T*, const T*, const T*, const T*, const T*,  \
                                const T*, const T*, T*, T*, T*, T*, T*);                           \
  template void gru_forward<T>(const RnnDims&, const T*, const T*, const T*, const T*, const T*,   \
                               const T*, T*, T*, T*, T*);                                          \
  template void rnn_tanh_backward<T>(const RnnDims&, const T*, const T*, const T*, const T*,       \
                                     const T*, const T*, const T*, const T*, T*, T*, T*, T*, T*,   \
                                     T*, T*);                                                      \
  template void lstm_backward<T>(const RnnDims&, const T*, const T*, const T*, const T*, const T*, \
                                 const T*, const T*, const T*, const T*, const T*, T*, T*, T*, T*, \
                                 T*, T*, T*, T*);                                                  \
  template void gru_backward<T>(const RnnDims&, const T*, const T*, const T*, const T*, const T*,  \
                                const T*, const T*, const T*, T*, T*, T*, T*, T*, T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE

}  // namespace nvz::cuda

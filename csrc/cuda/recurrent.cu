// Recurrences over whole sequences on the device (recurrent.h): one GEMM (nvz::cuda::gemm) for
// the input projection of all T steps, then one of three paths, chosen per call by the
// environment (so one process can A/B them):
//
// - persistent (default): the fused step below for every step in ONE cooperative launch, the
//   grid waiting at grid_sync between steps (persistent_forward_kernel, persistent_back_kernel).
//   Used where the step's grid can be resident at once (cooperative_capacity); else, or with
//   NVZ_RNN_PERSISTENT=0, the fused step is launched once per step. Forward 2 launches (input
//   projection, the sequence), backward 8 (+1 GRU) whatever T is.
// - fused, one launch per step. Forward: fused_step, a block owning FR batch rows x FU hidden
//   units computes h_{t-1} W_hh^T for every gate column of those units (j, H+j, ... : all G
//   gates of a unit, GRU's W_hn h kept apart as the cell needs) through shared-memory panels,
//   then applies the gate math in its epilogue. Backward: the step boundary is shifted,
//   fused_back computes dL/dh_t = dGates_{t+1} W_hh for its tile and then step t's gate
//   gradients of the same (row, unit) pairs, which need nothing else of the product; the last
//   step's gradients (dh = grad_h_T, no product) and dL/dh0 (no gradients) stay a gate kernel
//   and a GEMM. Forward T + 1 launches, backward T + 6 (+1 GRU).
// - NVZ_RNN_FUSED=0: per step one GEMM (beta = 1 onto the step's projection) and one
//   elementwise gate kernel (forward), or one gate-gradient kernel and one GEMM (backward).
//   Forward 2T + 1 launches, backward 2T + 5 (+1 GRU).
//
// Why: at T50 N32 H128 a step is a (32 x 128) x (128 x 4H) product and a few thousand gate
// values, so launch count and the product's latency, not arithmetic, bound the time; the
// general GEMM's 64 x 64 tiles give such a step 8 blocks, the fused 16 x 16-unit tiles 16
// (x all G gates), and the persistent grid pays a grid barrier (about a microsecond) instead of
// a launch per step, as cuDNN's persistent RNN kernels do. The persistent and per-step fused
// launches run the same step code on the same pointers (fwd_step, bwd_step), so they give the
// same bits. All paths write the same cache and are deterministic (no atomics: each output has
// one owner thread). Biases are added in the gate math (one cached load), so the input
// projection needs no bias pass of its own. The gate math is shared by all paths (lstm_cell,
// gru_cell, lstm_cell_grad, gru_cell_grad).
#include <atomic>
#include <cstdlib>

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

// ---- gate math, shared by both paths (one hidden unit j of one batch row) ---------------

// LSTM: pre-activations i, f, g, o in; their activations out to g[0], g[H], g[2H], g[3H];
// returns c = f c_prev + i g and h = o tanh(c).
template <typename T>
__device__ __forceinline__ void lstm_cell(T* g, int64_t H, const T (&pre)[4], T c_prev, T& c,
                                          T& h) {
  const T i = sigmoid(pre[0]), f = sigmoid(pre[1]), gg = tanh(pre[2]), o = sigmoid(pre[3]);
  c = f * c_prev + i * gg;
  g[0] = i;
  g[H] = f;
  g[2 * H] = gg;
  g[3 * H] = o;
  h = o * tanh(c);
}

// GRU: g[0], g[H], g[2H] hold x W_ih^T (no bias) in, r, z, n out; p_r, p_z, p_n are h_prev
// W_hh^T (no bias); bi, bh point at the biases of unit j. hn = W_hn h_prev + b_hn (kept for
// the backward): r scales it before it is added, which is why it stays separate.
template <typename T>
__device__ __forceinline__ void gru_cell(T* g, int64_t H, const T* bi, const T* bh, T p_r, T p_z,
                                         T p_n, T h_prev, T& hn, T& h) {
  // Same grouping as torch and the CPU kernel: (x W_ih^T + b_ih) + (h W_hh^T + b_hh).
  const T r = sigmoid((g[0] + bi[0]) + (p_r + bh[0]));
  const T z = sigmoid((g[H] + bi[H]) + (p_z + bh[H]));
  hn = p_n + bh[2 * H];
  const T nv = tanh((g[2 * H] + bi[2 * H]) + r * hn);
  g[0] = r;
  g[H] = z;
  g[2 * H] = nv;
  h = nv + z * (h_prev - nv);  // (1 - z) n + z h_prev
}

// LSTM backward: dhv = dL/dh_t (recurrent part + grad_y); dc = dL/dc_t in, dL/dc_{t-1} out;
// d points at the unit's dgates. tanh(c_t) is recomputed (cheaper than storing it).
template <typename T>
__device__ __forceinline__ void lstm_cell_grad(const T* g, int64_t H, T c, T c_prev, T dhv, T& dc,
                                               T* d) {
  const T i = g[0], f = g[H], gg = g[2 * H], o = g[3 * H];
  const T tc = tanh(c);
  const T dcv = dc + dhv * o * (T(1) - tc * tc);
  d[0] = dcv * gg * i * (T(1) - i);
  d[H] = dcv * c_prev * f * (T(1) - f);
  d[2 * H] = dcv * i * (T(1) - gg * gg);
  d[3 * H] = dhv * tc * o * (T(1) - o);
  dc = dcv * f;
}

// GRU backward: di = gradient of x W_ih^T + b_ih = [dar | daz | dan], dg = gradient of
// h W_hh^T + b_hh = [dar | daz | dan r]; returns dhv z, the part of dL/dh_{t-1} that bypasses
// W_hh.
template <typename T>
__device__ __forceinline__ T gru_cell_grad(const T* g, int64_t H, T hn, T h_prev, T dhv, T* di,
                                           T* dg) {
  const T r = g[0], z = g[H], nv = g[2 * H];
  const T dan = dhv * (T(1) - z) * (T(1) - nv * nv);
  const T dar = dan * hn * r * (T(1) - r);
  const T daz = dhv * (h_prev - nv) * z * (T(1) - z);
  di[0] = dar;
  di[H] = daz;
  di[2 * H] = dan;
  dg[0] = dar;
  dg[H] = daz;
  dg[2 * H] = dan * r;
  return dhv * z;
}

// ---- two-launch path: gate kernels after a GEMM (one thread per unit of one batch row) --

// a (N, H): the pre-activation less biases in, h_t out.
template <typename T>
__global__ void rnn_step_kernel(int64_t N, int64_t H, T* __restrict__ a, const T* __restrict__ b_ih,
                                const T* __restrict__ b_hh) {
  NVZ_EACH(e, N * H) {
    const int64_t j = e % H;
    a[e] = tanh(a[e] + (b_ih[j] + b_hh[j]));
  }
}

// gates (N, 4H): pre-activations less biases in, i, f, g, o out.
template <typename T>
__global__ void lstm_step_kernel(int64_t N, int64_t H, T* __restrict__ gates,
                                 const T* __restrict__ b_ih, const T* __restrict__ b_hh,
                                 const T* __restrict__ c_prev, T* __restrict__ c,
                                 T* __restrict__ h) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H;
    T* g = gates + n * 4 * H + j;
    T pre[4];
    for (int q = 0; q < 4; ++q) pre[q] = g[q * H] + (b_ih[j + q * H] + b_hh[j + q * H]);
    lstm_cell(g, H, pre, c_prev[e], c[e], h[e]);
  }
}

// gates (N, 3H): x W_ih^T (no bias) in, r, z, n out; hh (N, 3H): h_prev W_hh^T (no bias).
template <typename T>
__global__ void gru_step_kernel(int64_t N, int64_t H, T* __restrict__ gates,
                                const T* __restrict__ hh, const T* __restrict__ b_ih,
                                const T* __restrict__ b_hh, const T* __restrict__ h_prev,
                                T* __restrict__ hn, T* __restrict__ h) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H;
    const T* p = hh + n * 3 * H + j;
    gru_cell(gates + n * 3 * H + j, H, b_ih + j, b_hh + j, p[0], p[H], p[2 * H], h_prev[e], hn[e],
             h[e]);
  }
}

// da = (dh + grad_y) (1 - h^2)
template <typename T>
__global__ void rnn_back_kernel(int64_t N, int64_t H, const T* __restrict__ h,
                                const T* __restrict__ grad_y, const T* __restrict__ dh,
                                T* __restrict__ da) {
  NVZ_EACH(e, N * H) da[e] = (dh[e] + grad_y[e]) * (T(1) - h[e] * h[e]);
}

// dgates (N, 4H) from dh (+ grad_y) and dc; dc becomes dL/dc_{t-1} in place.
template <typename T>
__global__ void lstm_back_kernel(int64_t N, int64_t H, const T* __restrict__ gates,
                                 const T* __restrict__ c, const T* __restrict__ c_prev,
                                 const T* __restrict__ grad_y, const T* __restrict__ dh,
                                 T* __restrict__ dc, T* __restrict__ dgates) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H;
    lstm_cell_grad(gates + n * 4 * H + j, H, c[e], c_prev[e], dh[e] + grad_y[e], dc[e],
                   dgates + n * 4 * H + j);
  }
}

// dgi, dgh (N, 3H) from dh (+ grad_y); dh becomes (dh + grad_y) z.
template <typename T>
__global__ void gru_back_kernel(int64_t N, int64_t H, const T* __restrict__ gates,
                                const T* __restrict__ hn, const T* __restrict__ h_prev,
                                const T* __restrict__ grad_y, T* __restrict__ dh,
                                T* __restrict__ dgi, T* __restrict__ dgh) {
  NVZ_EACH(e, N * H) {
    const int64_t n = e / H, j = e % H, row = n * 3 * H + j;
    dh[e] =
        gru_cell_grad(gates + row, H, hn[e], h_prev[e], dh[e] + grad_y[e], dgi + row, dgh + row);
  }
}

// ---- fused path: one launch per step, the recurrent product in a block tile -------------
//
// A block owns FR batch rows x FU hidden units and computes every gate column of those units,
// so the gate math runs in the product's epilogue on values still in registers. The K loop
// stages KC-wide panels of the left operand (rows x k) and of W_hh through shared memory;
// panels are stored k-major with a +1 pad so the transposing stores hit distinct banks.
// Out-of-range rows, units and k are loaded as zeros, so the inner loop needs no bounds.
// Each chunk costs a global-memory round trip before its barrier, so chunks are as wide as
// ~21 KB (forward, LSTM) / ~17 KB (backward) of static shared memory allow: 4 for H = 128.
constexpr int FR = 16, FU = 16;
template <typename T>
constexpr int FWD_KC = sizeof(T) == 4 ? 64 : 32;
template <typename T>
constexpr int BWD_KC = sizeof(T) == 4 ? 128 : 64;
constexpr int FWD_RT = 2;                         // rows per thread in the forward
constexpr int FWD_THREADS = FR / FWD_RT * FU;     // 128
constexpr int BWD_THREADS = FR * FU;              // 256: one output each (K = G*H is long)
constexpr unsigned FUSED_MAX_UNIT_TILES = 65535;  // grid.y limit

// rows[r][k] = A[n0 + r, k0 + k] of a (N, K) row-major A, zero outside. A (like h_prev and dg
// below) is not __restrict__: in a persistent kernel other blocks wrote it during the same launch,
// and a restrict-qualified read-only operand may be read through the non-coherent cache.
template <typename T, int KC>
__device__ __forceinline__ void load_rows_panel(T (&rows)[KC][FR + 1], const T* A, int64_t N,
                                                int64_t K, int64_t n0, int64_t k0) {
  for (int e = threadIdx.x; e < FR * KC; e += blockDim.x) {
    const int r = e / KC, k = e % KC;  // k fastest: coalesced reads along A's rows
    const int64_t n = n0 + r, kk = k0 + k;
    rows[k][r] = (n < N && kk < K) ? A[n * K + kk] : T(0);
  }
}

// acc[i][q] = sum_k h_prev[n0 + rg*RT + i, k] w_hh[q*H + j0 + u, k] for this thread's rows and
// unit u, over all G gates: the forward's h_{t-1} W_hh^T restricted to the block's tile.
template <typename T, int G, int RT, int KC>
__device__ __forceinline__ void forward_tile_product(T (&acc)[RT][G], const T* h_prev,
                                                     const T* __restrict__ w_hh, int64_t N,
                                                     int64_t H, int64_t n0, int64_t j0,
                                                     T (&hs)[KC][FR + 1], T (&ws)[KC][G * FU + 1]) {
  const int u = threadIdx.x % FU, r0 = threadIdx.x / FU * RT;
  for (int64_t k0 = 0; k0 < H; k0 += KC) {
    load_rows_panel(hs, h_prev, N, H, n0, k0);
    for (int e = threadIdx.x; e < G * FU * KC; e += blockDim.x) {
      const int col = e / KC, k = e % KC;  // col = q*FU + unit
      const int64_t j = j0 + col % FU, kk = k0 + k;
      ws[k][col] = (j < H && kk < H) ? w_hh[((col / FU) * H + j) * H + kk] : T(0);
    }
    __syncthreads();
#pragma unroll 8
    for (int k = 0; k < KC; ++k) {
      T hv[RT];
#pragma unroll
      for (int i = 0; i < RT; ++i) hv[i] = hs[k][r0 + i];
#pragma unroll
      for (int q = 0; q < G; ++q) {
        const T w = ws[k][q * FU + u];
#pragma unroll
        for (int i = 0; i < RT; ++i) acc[i][q] += hv[i] * w;
      }
    }
    __syncthreads();  // before the next chunk overwrites the panels
  }
}

// Pointers of one forward step; unused ones are null (c_prev, c for RNN and GRU; hn for RNN
// and LSTM).
template <typename T>
struct FwdStep {
  int64_t N, H;
  const T* h_prev;  // (N, H)
  const T* w_hh;    // (G*H, H)
  const T *b_ih, *b_hh;
  T* pre;  // (N, G*H): x W_ih^T in; RNN: y_t (h_t out), LSTM/GRU: the cache's gates
  const T* c_prev;
  T *c, *hn, *h;  // (N, H)
};

// The pointers of step t of a forward sequence. `first` is step 0's (h_prev = h0, c_prev = c0);
// every later step moves the step-indexed arrays on by one step, and reads the states step t-1
// wrote. pre_stride: elements per step of `pre` (N*G; N*H for RNN, whose pre is y_t).
template <typename T>
struct FwdSeq {
  FwdStep<T> first;
  int64_t T_steps, pre_stride;
};

template <typename T>
__host__ __device__ __forceinline__ FwdStep<T> fwd_step(const FwdSeq<T>& q, int64_t t) {
  FwdStep<T> a = q.first;
  if (t == 0) return a;
  const int64_t NH = a.N * a.H;
  a.pre += t * q.pre_stride;
  a.h += t * NH;
  a.h_prev = a.h - NH;
  if (a.c) {
    a.c += t * NH;
    a.c_prev = a.c - NH;
  }
  if (a.hn) a.hn += t * NH;
  return a;
}

// One step of cell G (1 RNN, 4 LSTM, 3 GRU): the tile's h_{t-1} W_hh^T, then the gate math of
// its (row, unit) pairs, writing what the two-launch path writes. Grid (rows / FR, H / FU).
template <typename T, int G>
__device__ __forceinline__ void fused_step(const FwdStep<T>& a) {
  constexpr int KC = FWD_KC<T>;
  __shared__ T hs[KC][FR + 1];
  __shared__ T ws[KC][G * FU + 1];
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * FR;
  const int64_t j = static_cast<int64_t>(blockIdx.y) * FU + threadIdx.x % FU;
  const int r0 = threadIdx.x / FU * FWD_RT;
  T acc[FWD_RT][G] = {};
  forward_tile_product<T, G, FWD_RT, KC>(acc, a.h_prev, a.w_hh, a.N, a.H, n0, j - threadIdx.x % FU,
                                         hs, ws);
  const int64_t H = a.H;
  for (int i = 0; i < FWD_RT; ++i) {
    const int64_t n = n0 + r0 + i, e = n * H + j;
    if (n >= a.N || j >= H) continue;
    T* g = a.pre + n * G * H + j;
    if constexpr (G == 1) {
      g[0] = tanh((g[0] + acc[i][0]) + (a.b_ih[j] + a.b_hh[j]));
    } else if constexpr (G == 4) {
      T pre[4];
      for (int q = 0; q < 4; ++q)
        pre[q] = (g[q * H] + acc[i][q]) + (a.b_ih[j + q * H] + a.b_hh[j + q * H]);
      lstm_cell(g, H, pre, a.c_prev[e], a.c[e], a.h[e]);
    } else {
      gru_cell(g, H, a.b_ih + j, a.b_hh + j, acc[i][0], acc[i][1], acc[i][2], a.h_prev[e], a.hn[e],
               a.h[e]);
    }
  }
}

template <typename T, int G>
__global__ void __launch_bounds__(FWD_THREADS) fused_step_kernel(FwdStep<T> a) {
  fused_step<T, G>(a);
}

// The whole forward sequence in one cooperative launch: every step's tiles, the grid waiting
// between steps for h_t (and c_t) to be complete.
template <typename T, int G>
__global__ void __launch_bounds__(FWD_THREADS) persistent_forward_kernel(FwdSeq<T> q) {
  for (int64_t t = 0; t < q.T_steps; ++t) {
    if (t > 0) grid_sync();
    fused_step<T, G>(fwd_step(q, t));
  }
}

// acc = sum_k dg[n0 + r, k] w_hh[k, j0 + u] over k < G*H: one element of the backward's
// dL/dh = dGates W_hh for this thread's (row, unit).
template <typename T, int KC>
__device__ __forceinline__ T backward_tile_product(const T* dg, const T* __restrict__ w_hh,
                                                   int64_t N, int64_t H, int64_t K, int64_t n0,
                                                   int64_t j0, T (&ds)[KC][FR + 1],
                                                   T (&ws)[KC][FU]) {
  const int u = threadIdx.x % FU, r = threadIdx.x / FU;
  T acc = T(0);
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    load_rows_panel(ds, dg, N, K, n0, k0);
    for (int e = threadIdx.x; e < KC * FU; e += blockDim.x) {
      const int k = e / FU, c = e % FU;  // W_hh's rows are k: units contiguous
      const int64_t kk = k0 + k, jj = j0 + c;
      ws[k][c] = (kk < K && jj < H) ? w_hh[kk * H + jj] : T(0);
    }
    __syncthreads();
#pragma unroll 8
    for (int k = 0; k < KC; ++k) acc += ds[k][r] * ws[k][u];
    __syncthreads();
  }
  return acc;
}

// Pointers of one backward step t < T-1; unused ones are null.
template <typename T>
struct BwdStep {
  int64_t N, H;
  const T* dg_next;  // (N, G*H): step t+1's gradient of h W_hh^T (+ b_hh)
  const T* w_hh;     // (G*H, H)
  const T* h;        // RNN: y_t
  const T *gates, *c, *c_prev, *hn, *h_prev;
  const T* grad_y;  // (N, H) step t's
  T *dh, *dc;       // GRU: dh holds the carry (dh_{t+1} + grad_y) z in, the new one out
  T *d_ih, *d_hh;   // (N, G*H) step t's gate gradients (the same array for RNN and LSTM)
};

// The pointers of backward step t from step 0's (`first`: h_prev = h0, c_prev = c0): arrays of
// gate width move N*G per step, those of state width N*H; h_prev and c_prev are then the states
// of step t-1 (y and the cells). dh and dc are carried in place and do not move.
template <typename T>
struct BwdSeq {
  BwdStep<T> first;
  int64_t T_steps, G;
  const T* y;  // (T, N, H): h_prev of steps t >= 1
};

template <typename T>
__host__ __device__ __forceinline__ BwdStep<T> bwd_step(const BwdSeq<T>& q, int64_t t) {
  BwdStep<T> a = q.first;
  if (t == 0) return a;
  const int64_t NH = a.N * a.H, NG = NH * q.G;
  a.dg_next += t * NG;
  a.d_ih += t * NG;
  if (a.d_hh) a.d_hh += t * NG;
  if (a.gates) a.gates += t * NG;
  a.grad_y += t * NH;
  if (a.h) a.h += t * NH;
  if (a.hn) a.hn += t * NH;
  if (a.c) {
    a.c += t * NH;
    a.c_prev = a.c - NH;
  }
  if (a.h_prev) a.h_prev = q.y + (t - 1) * NH;
  return a;
}

// Backward step t, fused across the step boundary: dL/dh_t = dg_next W_hh (+ GRU's carry) for
// the tile, then step t's gate gradients of the same (row, unit) pairs. Each output element
// needs only its own dL/dh_t, so no block waits for another's. Grid (rows / FR, H / FU).
template <typename T, int G>
__device__ __forceinline__ void fused_back(const BwdStep<T>& a) {
  constexpr int KC = BWD_KC<T>;
  __shared__ T ds[KC][FR + 1];
  __shared__ T ws[KC][FU];
  const int64_t H = a.H, n0 = static_cast<int64_t>(blockIdx.x) * FR;
  const int64_t j0 = static_cast<int64_t>(blockIdx.y) * FU, j = j0 + threadIdx.x % FU;
  const int64_t n = n0 + threadIdx.x / FU, e = n * H + j, row = n * G * H + j;
  const T prod = backward_tile_product(a.dg_next, a.w_hh, a.N, H, G * H, n0, j0, ds, ws);
  if (n < a.N && j < H) {
    if constexpr (G == 1) {
      a.d_ih[e] = (prod + a.grad_y[e]) * (T(1) - a.h[e] * a.h[e]);
    } else if constexpr (G == 4) {
      lstm_cell_grad(a.gates + row, H, a.c[e], a.c_prev[e], prod + a.grad_y[e], a.dc[e],
                     a.d_ih + row);
    } else {
      a.dh[e] = gru_cell_grad(a.gates + row, H, a.hn[e], a.h_prev[e],
                              (a.dh[e] + prod) + a.grad_y[e], a.d_ih + row, a.d_hh + row);
    }
  }
}

template <typename T, int G>
__global__ void __launch_bounds__(BWD_THREADS) fused_back_kernel(BwdStep<T> a) {
  fused_back<T, G>(a);
}

// Backward steps T-2 .. 0 in one cooperative launch, the grid waiting between steps for the
// gate gradients that the next step's product reads.
template <typename T, int G>
__global__ void __launch_bounds__(BWD_THREADS) persistent_back_kernel(BwdSeq<T> q) {
  for (int64_t t = q.T_steps - 2; t >= 0; --t) {
    if (t < q.T_steps - 2) grid_sync();
    fused_back<T, G>(bwd_step(q, t));
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

// NVZ_RNN_FUSED=0 selects the two-launch path (read per call, so one process can A/B both);
// anything else, or unset, the fused path. H beyond the grid's y limit falls back too.
inline bool use_fused(const RnnDims& s) {
  const char* e = std::getenv("NVZ_RNN_FUSED");
  return !(e != nullptr && e[0] == '0') && blocks_for(s.H, FU) <= FUSED_MAX_UNIT_TILES;
}

inline dim3 fused_grid(const RnnDims& s) {
  return dim3(blocks_for(s.N, FR), blocks_for(s.H, FU));
}

// NVZ_RNN_PERSISTENT=0 keeps the fused path at one launch per step (read per call, to A/B).
inline bool persistent_allowed() {
  const char* e = std::getenv("NVZ_RNN_PERSISTENT");
  return !(e != nullptr && e[0] == '0');
}

inline bool grid_fits(dim3 grid, int64_t capacity) {
  return static_cast<int64_t>(grid.x) * grid.y * grid.z <= capacity;
}

// Whether `grid` can run as one cooperative launch of `kernel`. The capacity is asked once per
// kernel (the backend runs on device 0); a failed query is not kept, so a later call asks again.
template <typename A>
bool persistent_fits(void (*kernel)(A), int threads, dim3 grid, std::atomic<int64_t>& capacity) {
  if (!persistent_allowed()) return false;
  if (capacity.load() < 0) capacity.store(cooperative_capacity(kernel, threads));
  return grid_fits(grid, capacity.load());
}

// Forward steps 0 .. T-1 of the fused path: one cooperative launch when the whole grid can be
// resident at once (and the GPU accepts it), else one launch per step.
template <typename T, int G>
void run_fused_forward(const RnnDims& s, const FwdSeq<T>& q) {
  auto persistent_forward = persistent_forward_kernel<T, G>;
  static std::atomic<int64_t> capacity{-1};
  const dim3 grid = fused_grid(s);
  if (persistent_fits(persistent_forward, FWD_THREADS, grid, capacity) &&
      NVZ_LAUNCH_COOP(persistent_forward, grid, dim3(FWD_THREADS), q))
    return;
  auto fused_step_launch = fused_step_kernel<T, G>;
  for (int64_t t = 0; t < s.T; ++t)
    NVZ_LAUNCH_SYNC(fused_step_launch, grid, dim3(FWD_THREADS), fwd_step(q, t));
}

// Backward steps T-2 .. 0 of the fused path (step T-1 has no product and is the caller's).
template <typename T, int G>
void run_fused_backward(const RnnDims& s, const BwdSeq<T>& q) {
  if (s.T < 2) return;
  auto persistent_back = persistent_back_kernel<T, G>;
  static std::atomic<int64_t> capacity{-1};
  const dim3 grid = fused_grid(s);
  if (persistent_fits(persistent_back, BWD_THREADS, grid, capacity) &&
      NVZ_LAUNCH_COOP(persistent_back, grid, dim3(BWD_THREADS), q))
    return;
  auto fused_back_launch = fused_back_kernel<T, G>;
  for (int64_t t = s.T - 2; t >= 0; --t)
    NVZ_LAUNCH_SYNC(fused_back_launch, grid, dim3(BWD_THREADS), bwd_step(q, t));
}

// The fields every cell's backward step sets; the caller adds its cell's.
template <typename T>
BwdStep<T> back_step(const RnnDims& s, const T* dg_next, const T* w_hh, const T* grad_y, T* d_ih) {
  BwdStep<T> a{};
  a.N = s.N;
  a.H = s.H;
  a.dg_next = dg_next;
  a.w_hh = w_hh;
  a.grad_y = grad_y;
  a.d_ih = d_ih;
  return a;
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
  if (use_fused(s)) {
    run_fused_forward<T, 1>(
        s, {{N, H, h0, w_hh, b_ih, b_hh, y, nullptr, nullptr, nullptr, y}, s.T, NH});
  } else {
    for (int64_t t = 0; t < s.T; ++t) {
      T* y_t = y + t * NH;
      project_hidden(s, H, t ? y_t - NH : h0, w_hh, T(1), y_t);
      NVZ_LAUNCH(rnn_step_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, y_t, b_ih,
                 b_hh);
    }
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
  const bool fused = use_fused(s);
  // Fused: the last step here (no product), steps T-2 .. 0 in run_fused_backward.
  for (int64_t t = s.T - 1; t >= (fused ? s.T - 1 : 0); --t) {
    NVZ_LAUNCH(rnn_back_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, y + t * NH,
               grad_y + t * NH, dh, da + t * NH);
    if (!fused) gemm<T>(false, false, N, H, H, T(1), da + t * NH, H, w_hh, H, T(0), dh, H);
  }
  if (fused) {
    BwdStep<T> a = back_step(s, da + NH, w_hh, grad_y, da);
    a.h = y;
    run_fused_backward<T, 1>(s, {a, s.T, 1, y});
    gemm<T>(false, false, N, H, H, T(1), da, H, w_hh, H, T(0), dh, H);  // dL/dh0
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
  if (use_fused(s)) {
    run_fused_forward<T, 4>(
        s, {{N, H, h0, w_hh, b_ih, b_hh, gates, c0, cells, nullptr, y}, s.T, N * G});
  } else {
    for (int64_t t = 0; t < s.T; ++t) {
      T* gates_t = gates + t * N * G;
      project_hidden(s, G, t ? y + (t - 1) * NH : h0, w_hh, T(1), gates_t);
      NVZ_LAUNCH(lstm_step_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, gates_t, b_ih,
                 b_hh, t ? cells + (t - 1) * NH : c0, cells + t * NH, y + t * NH);
    }
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
  const bool fused = use_fused(s);
  // Fused: the last step here (no product), steps T-2 .. 0 in run_fused_backward.
  for (int64_t t = s.T - 1; t >= (fused ? s.T - 1 : 0); --t) {
    T* dgates_t = dgates + t * N * G;
    NVZ_LAUNCH(lstm_back_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H,
               gates + t * N * G, cells + t * NH, t ? cells + (t - 1) * NH : c0, grad_y + t * NH,
               dh, dc, dgates_t);
    if (!fused) gemm<T>(false, false, N, H, G, T(1), dgates_t, G, w_hh, H, T(0), dh, H);
  }
  if (fused) {
    BwdStep<T> a = back_step(s, dgates + N * G, w_hh, grad_y, dgates);
    a.gates = gates;
    a.c = cells;
    a.c_prev = c0;
    a.dc = dc;
    run_fused_backward<T, 4>(s, {a, s.T, 4, y});
    gemm<T>(false, false, N, H, G, T(1), dgates, G, w_hh, H, T(0), dh, H);  // dL/dh0
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
  T* hh = work;  // (N, 3H) this step's h_prev W_hh^T (two-launch path)
  project_inputs(s, G, x, w_ih, gates);
  if (use_fused(s)) {
    run_fused_forward<T, 3>(
        s, {{N, H, h0, w_hh, b_ih, b_hh, gates, nullptr, nullptr, hn, y}, s.T, N * G});
  } else {
    for (int64_t t = 0; t < s.T; ++t) {
      const T* h_prev = t ? y + (t - 1) * NH : h0;
      project_hidden(s, G, h_prev, w_hh, T(0), hh);
      NVZ_LAUNCH(gru_step_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H,
                 gates + t * N * G, hh, b_ih, b_hh, h_prev, hn + t * NH, y + t * NH);
    }
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
  const bool fused = use_fused(s);
  // Fused: the last step here (no product), steps T-2 .. 0 in run_fused_backward.
  for (int64_t t = s.T - 1; t >= (fused ? s.T - 1 : 0); --t) {
    T* dgh_t = dgh + t * N * G;
    NVZ_LAUNCH(gru_back_kernel<T>, dim3(each_grid(NH)), dim3(EACH_THREADS), N, H, gates + t * N * G,
               hn + t * NH, t ? y + (t - 1) * NH : h0, grad_y + t * NH, dh, dgi + t * N * G, dgh_t);
    // dL/dh_{t-1} = (dh_t + grad_y_t) z (left in dh by the kernel) + dgh_t W_hh
    if (!fused) gemm<T>(false, false, N, H, G, T(1), dgh_t, G, w_hh, H, T(1), dh, H);
  }
  if (fused) {
    BwdStep<T> a = back_step(s, dgh + N * G, w_hh, grad_y, dgi);
    a.gates = gates;
    a.hn = hn;
    a.h_prev = h0;
    a.dh = dh;
    a.d_hh = dgh;
    run_fused_backward<T, 3>(s, {a, s.T, 3, y});
    gemm<T>(false, false, N, H, G, T(1), dgh, G, w_hh, H, T(1), dh, H);  // dL/dh0
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

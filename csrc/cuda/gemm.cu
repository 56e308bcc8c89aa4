// Device GEMM for the CUDA backend: C = alpha op(A) op(B) + beta C, row-major, leading dims.
//
// Two tile paths, both 256 threads per block, transposes folded into the panel loads:
// - gemm_128 (float only): a 128x128 block tile, BK = 8, each thread an 8x8 register tile made of
//   two 4x4 quadrants per axis (rows ty*4 + {0..3} and 64 + ty*4 + {0..3}, likewise columns), so
//   the float4 reads from shared memory are broadcasts or consecutive, never bank-conflicted.
//   op(A)'s panel is kept transposed (As[k][m]) like op(B)'s (Bs[k][n]). Shared memory is double
//   buffered: the next panel is fetched into registers while the current one is multiplied, then
//   stored into the other buffer, with one __syncthreads per k-step. Global loads are float4
//   when the operand allows (16-byte aligned pointer, leading dimension a multiple of 4, the four
//   elements inside the matrix), scalar and bounds-checked otherwise.
// - gemm_64 (double, and float products too small to fill the GPU with 128x128 tiles): a 64x64
//   tile, each thread 4x4 outputs, scalar loads.
// Both sum over k in the same order (one multiply-add per k), so they agree to float rounding.
// NVZ_GEMM_TILE=64 or =128 in the environment pins the float path (tests run both on small
// shapes, which the size rule would always send to gemm_64).
// Split-K, on every path: a product with few output tiles and a long K (weight gradients) is cut
// into K slices that run side by side along grid.z, then summed in slice order (split_count).
//
// - gemm_tf32 (float, opt-in): tensor cores through WMMA (cuda/wmma.h), shape m16n16k8 in TF32
//   with float accumulation. A 128x128 block tile, 8 warps of 64x32 outputs (4x2 fragments),
//   BK = 16, double-buffered panels staged in the operand's own memory layout (the fragment's
//   row_major/col_major absorbs the transpose, so loads stay float4 and coalesced), the epilogue
//   through shared memory in four passes so alpha/beta follow store_out's rule.
//   What TF32 changes: each input is rounded to a 10-bit mantissa (cvt.rna, relative error up to
//   2^-11, ~5e-4) before it is multiplied; products are exact and sums are float, so a result is
//   off by ~1e-3 relative to sum |a||b| (not to the result, which may cancel) and is not
//   bit-comparable with the CPU's float GEMM, nor with gemm_128/gemm_64. That is why it is off by
//   default: every other kernel here matches the CPU to float rounding, which the layers' tests
//   and gradient checks rely on. It is on while set_tf32(true) holds or NVZ_TF32=1 is in the
//   environment (read per call, as NVZ_GEMM_TILE); then every float GEMM takes it, whatever its
//   size; double never does. Needs sm_80 or later (an older target traps).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "cuda/device.h"
#include "cuda/gemm.h"
#include "cuda/tensor.h"
#include "cuda/wmma.h"

namespace nvz::cuda {
namespace {

// ------------------------------------------------------------------ 64x64 tiles (any T)
constexpr int TILE = 64, KT = 16, TPB = 16, RT = TILE / TPB;  // RT x RT outputs per thread

// element (r, c) of op(X), where X is stored row-major with leading dimension ld
template <typename T>
__device__ __forceinline__ T op_at(const T* X, bool trans, int64_t ld, int64_t r, int64_t c) {
  return trans ? X[c * ld + r] : X[r * ld + c];
}

// C[r][c] = alpha acc + beta C[r][c]; beta == 0 never reads C (it may hold NaN garbage)
template <typename T>
__device__ __forceinline__ void store_out(T* out, T alpha, T acc, T beta) {
  *out = beta == T(0) ? alpha * acc : alpha * acc + beta * *out;
}

// Split-K (gemm() below): block z of a grid of depth Z multiplies the K slice
// [z kslice, min(K, (z+1) kslice)) and writes its partial product to C + z c_stride. to_slice moves
// a kernel's operands, K and C onto its block's slice, so the kernel's loops run over [0, K) as for
// a whole product; with Z = 1 (kslice = K, c_stride 0) nothing moves.
struct KSplit {
  int64_t kslice, c_stride;
};

template <typename PA, typename PB, typename PC>
__device__ __forceinline__ void to_slice(KSplit split, bool ta, bool tb, int64_t& K, PA& A,
                                         int64_t lda, PB& B, int64_t ldb, PC& C) {
  const int64_t z = blockIdx.z, k0 = z * split.kslice;
  K = nvz_min(K - k0, split.kslice);
  A += ta ? k0 * lda : k0;
  B += tb ? k0 : k0 * ldb;
  C += z * split.c_stride;
}

template <typename T>
__global__ void gemm_64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                        const T* __restrict__ A, int64_t lda, const T* __restrict__ B, int64_t ldb,
                        T beta, T* __restrict__ C, int64_t ldc, KSplit split) {
  to_slice(split, ta, tb, K, A, lda, B, ldb, C);
  __shared__ T As[KT][TILE + 1];  // As[k][m]: +1 avoids bank conflicts
  __shared__ T Bs[KT][TILE + 1];  // Bs[k][n]
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * TPB + tx;
  // M runs along grid.x (up to 2^31 - 1 tiles): im2col products have many rows
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * TILE;
  const int64_t col0 = static_cast<int64_t>(blockIdx.y) * TILE;
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
      if (gr < M && gc < N) store_out(&C[gr * ldc + gc], alpha, acc[r][c], beta);
    }
}

// ------------------------------------------------------------------ 128x128 tiles (float)
constexpr int BM = 128, BK = 8, THREADS = 256;
constexpr int PAD = 4;  // row stride 132 floats: transposed stores hit 32 distinct banks and
                        // rows stay 16-byte aligned for float4 access

// The 4 elements of a BK x 128 panel of op(X) (k rows, x columns: x is m for A, n for B) that
// thread tid stages for the panel starting at (k0, x0). kmajor: element (k, x) is X[k ld + x]
// (A transposed, B as stored), so a thread takes 4 consecutive x of one k; otherwise it is
// X[x ld + k] and a thread takes 4 consecutive k of one x. vec: X is 16-byte aligned and ld a
// multiple of 4, so 4 elements in bounds are one float4 (k0 and x0 are multiples of 4).
__device__ __forceinline__ float4 load_panel(const float* __restrict__ X, int64_t ld, bool kmajor,
                                             bool vec, int64_t x0, int64_t XN, int64_t k0,
                                             int64_t K, int tid) {
  const int64_t k = kmajor ? k0 + tid / 32 : k0 + (tid % 2) * 4;
  const int64_t x = kmajor ? x0 + (tid % 32) * 4 : x0 + tid / 2;
  float e[4] = {0.f, 0.f, 0.f, 0.f};
  if (k < K && x < XN) {
    const float* p = kmajor ? X + k * ld + x : X + x * ld + k;
    const int64_t left = kmajor ? XN - x : K - k;  // elements left along the 4-run
    if (vec && left >= 4) return *reinterpret_cast<const float4*>(p);
#pragma unroll
    for (int i = 0; i < 4; ++i) e[i] = i < left ? p[i] : 0.f;
  }
  return float4{e[0], e[1], e[2], e[3]};
}

// Stores what load_panel fetched into the panel dst[k][x].
__device__ __forceinline__ void store_panel(float (*dst)[BM + PAD], float4 v, bool kmajor,
                                            int tid) {
  if (kmajor) {
    *reinterpret_cast<float4*>(&dst[tid / 32][(tid % 32) * 4]) = v;
  } else {
    const int k = (tid % 2) * 4, x = tid / 2;
    dst[k][x] = v.x;
    dst[k + 1][x] = v.y;
    dst[k + 2][x] = v.z;
    dst[k + 3][x] = v.w;
  }
}

// One output run of 4 columns at out (column c of N): float4 when aligned and inside.
__device__ __forceinline__ void store_run(float* out, int64_t c, int64_t N, bool vec, float alpha,
                                          const float* acc, float beta) {
  if (vec && c + 4 <= N) {
    float4 o{alpha * acc[0], alpha * acc[1], alpha * acc[2], alpha * acc[3]};
    if (beta != 0.f) {
      const float4 old = *reinterpret_cast<const float4*>(out);
      o.x += beta * old.x;
      o.y += beta * old.y;
      o.z += beta * old.z;
      o.w += beta * old.w;
    }
    *reinterpret_cast<float4*>(out) = o;
    return;
  }
#pragma unroll
  for (int j = 0; j < 4; ++j)
    if (c + j < N) store_out(out + j, alpha, acc[j], beta);
}

__global__ void __launch_bounds__(THREADS, 2)
    gemm_128(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
             const float* __restrict__ A, int64_t lda, bool a_vec, const float* __restrict__ B,
             int64_t ldb, bool b_vec, float beta, float* __restrict__ C, int64_t ldc, bool c_vec,
             KSplit split) {
  to_slice(split, ta, tb, K, A, lda, B, ldb, C);
  alignas(16) __shared__ float As[2][BK][BM + PAD];  // op(A) transposed: As[k][m]
  alignas(16) __shared__ float Bs[2][BK][BM + PAD];  // Bs[k][n]
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * BM;
  const int64_t col0 = static_cast<int64_t>(blockIdx.y) * BM;
  // op(A) is M x K: kmajor when A is stored transposed; op(B) is K x N: kmajor when not
  const bool a_km = ta, b_km = !tb;
  float acc[8][8] = {};
  const int64_t steps = (K + BK - 1) / BK;
  float4 ra = load_panel(A, lda, a_km, a_vec, row0, M, 0, K, tid);
  float4 rb = load_panel(B, ldb, b_km, b_vec, col0, N, 0, K, tid);
  store_panel(As[0], ra, a_km, tid);
  store_panel(Bs[0], rb, b_km, tid);
  __syncthreads();
  for (int64_t s = 0; s < steps; ++s) {
    const int cur = static_cast<int>(s & 1);
    const bool more = s + 1 < steps;
    if (more) {  // fetch the next panels now; their latency hides behind the multiply below
      ra = load_panel(A, lda, a_km, a_vec, row0, M, (s + 1) * BK, K, tid);
      rb = load_panel(B, ldb, b_km, b_vec, col0, N, (s + 1) * BK, K, tid);
    }
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][k][64 + tx * 4]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] += a[i] * b[j];
    }
    // The other buffer was last read in step s - 1, before everyone passed that step's barrier.
    if (more) {
      store_panel(As[cur ^ 1], ra, a_km, tid);
      store_panel(Bs[cur ^ 1], rb, b_km, tid);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t r = row0 + (i / 4) * 64 + ty * 4 + i % 4;
    if (r < M)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t c = col0 + h * 64 + tx * 4;
        if (c < N) store_run(C + r * ldc + c, c, N, c_vec, alpha, &acc[i][h * 4], beta);
      }
  }
}

// ------------------------------------------------------------------ TF32 tensor cores (float)
// The TF32 WMMA shape is m16n16k8; a warp owns WARP_M x WARP_N outputs as FM x FN fragments.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
#define NVZ_TF32_WMMA 0  // no TF32 tensor cores before sm_80
#else
#define NVZ_TF32_WMMA 1
#endif
constexpr int WM = 16, WN = 16, WK = 8;
constexpr int WARP_M = 64, WARP_N = 32, FM = WARP_M / WM, FN = WARP_N / WN;
constexpr int WARPS_N = BM / WARP_N;  // 4 across, 2 down: 8 warps = THREADS / 32
constexpr int TBK = 16;               // k per stage: two mma steps
// A panel of op(X) (128 x-rows, x = m for A or n for B, by TBK k) is staged in X's own layout:
// kcontig (A as stored, B transposed: X[x ld + k]) as [x][k] with rows of LD_XK floats, otherwise
// as [k][x] with rows of LD_KX. +4 floats: both are multiples of 4 floats (wmma's ldm rule) whose
// 16-row and 8-row strides are multiples of 32 bytes, so every fragment pointer is 32-byte
// aligned, and consecutive rows start in different banks.
constexpr int LD_XK = TBK + 4, LD_KX = BM + 4;
constexpr int PANEL_XK = BM * LD_XK, PANEL_KX = TBK * LD_KX;
constexpr int PANEL = PANEL_XK > PANEL_KX ? PANEL_XK : PANEL_KX;  // floats per staged panel
constexpr int RUNS = BM * TBK / 4 / THREADS;  // float4 runs each thread loads per panel: 2
// The epilogue stages one fragment row of every warp at a time: 2 x 16 rows by 128 columns.
constexpr int EPI_ROWS = (BM / WARP_M) * WM;
static_assert(THREADS / 32 == (BM / WARP_M) * WARPS_N, "one warp per 64x32 region");
static_assert(EPI_ROWS * LD_KX <= 4 * PANEL, "the epilogue fits in the panels' memory");
static_assert(4 * PANEL * sizeof(float) <= 48 * 1024, "static shared memory over 48 KB");

// The element (x, k) of a staged panel.
template <bool KC>
__device__ __forceinline__ int panel_at(int x, int k) {
  return KC ? x * LD_XK + k : k * LD_KX + x;
}

// Fetches thread tid's RUNS runs of 4 elements of the panel of op(X) at (x0, k0): runs go along
// the contiguous axis (k when KC, else x), bounds-checked, zeros outside. vec: X 16-byte aligned
// and ld a multiple of 4, so a run inside the matrix is one float4 (x0 and k0 are multiples of 4).
template <bool KC>
__device__ __forceinline__ void fetch_tf32(float4 (&v)[RUNS], const float* __restrict__ X,
                                           int64_t ld, bool vec, int64_t x0, int64_t XN, int64_t k0,
                                           int64_t K, int tid) {
#pragma unroll
  for (int i = 0; i < RUNS; ++i) {
    const int e = tid + i * THREADS;
    const int64_t x = x0 + (KC ? e / (TBK / 4) : (e % (BM / 4)) * 4);
    const int64_t k = k0 + (KC ? (e % (TBK / 4)) * 4 : e / (BM / 4));
    float r[4] = {0.f, 0.f, 0.f, 0.f};
    if (x < XN && k < K) {
      const float* p = KC ? X + x * ld + k : X + k * ld + x;
      const int64_t left = KC ? K - k : XN - x;
      if (vec && left >= 4) {
        v[i] = *reinterpret_cast<const float4*>(p);
        continue;
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) r[j] = j < left ? p[j] : 0.f;
    }
    v[i] = float4{r[0], r[1], r[2], r[3]};
  }
}

// Stores what fetch_tf32 fetched, rounded to TF32 once here rather than per fragment load (each
// element feeds several warps' fragments; the tensor cores would otherwise truncate).
template <bool KC>
__device__ __forceinline__ void stage_tf32(float* __restrict__ panel, const float4 (&v)[RUNS],
                                           int tid) {
#if NVZ_TF32_WMMA
  using nvcuda::wmma::__float_to_tf32;
#pragma unroll
  for (int i = 0; i < RUNS; ++i) {
    const int e = tid + i * THREADS;
    const int x = KC ? e / (TBK / 4) : (e % (BM / 4)) * 4;
    const int k = KC ? (e % (TBK / 4)) * 4 : e / (BM / 4);
    *reinterpret_cast<float4*>(panel + panel_at<KC>(x, k)) =
        float4{__float_to_tf32(v[i].x), __float_to_tf32(v[i].y), __float_to_tf32(v[i].z),
               __float_to_tf32(v[i].w)};
  }
#endif
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(THREADS, 2)
    gemm_tf32(int64_t M, int64_t N, int64_t K, float alpha, const float* __restrict__ A,
              int64_t lda, bool a_vec, const float* __restrict__ B, int64_t ldb, bool b_vec,
              float beta, float* __restrict__ C, int64_t ldc, KSplit split) {
#if NVZ_TF32_WMMA
  to_slice(split, TA, TB, K, A, lda, B, ldb, C);
  namespace wmma = nvcuda::wmma;
  // op(A) (m, k) is A[m lda + k] unless TA; op(B) (k, n) is B[n ldb + k] when TB
  constexpr bool a_kc = !TA, b_kc = TB;
  using LayoutA = std::conditional_t<a_kc, wmma::row_major, wmma::col_major>;
  using LayoutB = std::conditional_t<b_kc, wmma::col_major, wmma::row_major>;
  // [stage][A, B] panels; after the k loop, the epilogue's staging area
  alignas(32) __shared__ float smem[4 * PANEL];
  const int tid = threadIdx.x, warp = tid / 32;
  const int wm = warp / WARPS_N, wn = warp % WARPS_N;  // this warp's 64x32 region
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * BM;
  const int64_t col0 = static_cast<int64_t>(blockIdx.y) * BM;

  wmma::fragment<wmma::accumulator, WM, WN, WK, float> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  float4 ra[RUNS], rb[RUNS];
  const int64_t steps = (K + TBK - 1) / TBK;
  fetch_tf32<a_kc>(ra, A, lda, a_vec, row0, M, 0, K, tid);
  fetch_tf32<b_kc>(rb, B, ldb, b_vec, col0, N, 0, K, tid);
  stage_tf32<a_kc>(smem, ra, tid);
  stage_tf32<b_kc>(smem + PANEL, rb, tid);
  __syncthreads();
  for (int64_t s = 0; s < steps; ++s) {
    const int cur = static_cast<int>(s & 1);
    const bool more = s + 1 < steps;
    if (more) {  // the next panels' latency hides behind this step's mma
      fetch_tf32<a_kc>(ra, A, lda, a_vec, row0, M, (s + 1) * TBK, K, tid);
      fetch_tf32<b_kc>(rb, B, ldb, b_vec, col0, N, (s + 1) * TBK, K, tid);
    }
    const float* As = smem + (2 * cur) * PANEL;
    const float* Bs = smem + (2 * cur + 1) * PANEL;
#pragma unroll
    for (int kk = 0; kk < TBK; kk += WK) {
      wmma::fragment<wmma::matrix_a, WM, WN, WK, wmma::precision::tf32, LayoutA> af[FM];
      wmma::fragment<wmma::matrix_b, WM, WN, WK, wmma::precision::tf32, LayoutB> bf[FN];
#pragma unroll
      for (int i = 0; i < FM; ++i)
        wmma::load_matrix_sync(af[i], As + panel_at<a_kc>(wm * WARP_M + i * WM, kk),
                               a_kc ? LD_XK : LD_KX);
#pragma unroll
      for (int j = 0; j < FN; ++j)
        wmma::load_matrix_sync(bf[j], Bs + panel_at<b_kc>(wn * WARP_N + j * WN, kk),
                               b_kc ? LD_XK : LD_KX);
#pragma unroll
      for (int i = 0; i < FM; ++i)
#pragma unroll
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], af[i], bf[j], acc[i][j]);
    }
    // The other stage was last read in step s - 1, before everyone passed that step's barrier.
    if (more) {
      stage_tf32<a_kc>(smem + (2 * (cur ^ 1)) * PANEL, ra, tid);
      stage_tf32<b_kc>(smem + (2 * (cur ^ 1) + 1) * PANEL, rb, tid);
    }
    __syncthreads();
  }

  // Epilogue, one fragment row i at a time: every warp stores its FN fragments of row i into
  // Cs[EPI_ROWS][LD_KX] (warp row wm at Cs rows wm*16..), then all threads write them out
  // coalesced, applying alpha and beta. The loop's last barrier freed the panels.
  float* Cs = smem;
#pragma unroll
  for (int i = 0; i < FM; ++i) {
#pragma unroll
    for (int j = 0; j < FN; ++j)
      wmma::store_matrix_sync(Cs + (wm * WM) * LD_KX + wn * WARP_N + j * WN, acc[i][j], LD_KX,
                              wmma::mem_row_major);
    __syncthreads();
    for (int e = tid; e < EPI_ROWS * BM; e += THREADS) {
      const int lr = e / BM, c = e % BM;
      const int64_t r = row0 + (lr / WM) * WARP_M + i * WM + lr % WM, gc = col0 + c;
      if (r < M && gc < N) store_out(&C[r * ldc + gc], alpha, Cs[lr * LD_KX + c], beta);
    }
    __syncthreads();
  }
#else
  __trap();
#endif
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

// 16-byte aligned pointer and a leading dimension that keeps every row so
bool vectorisable(const void* p, int64_t ld) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0;
}

// The float path: gemm_128 once the 128x128 grid has enough blocks to occupy an H100's 132 SMs
// reasonably (64 tiles, e.g. 1024 x 1024); below that gemm_64's 4x more blocks win.
bool use_128(int64_t M, int64_t N) {
  const char* pin = std::getenv("NVZ_GEMM_TILE");
  if (pin && std::strcmp(pin, "128") == 0) return true;
  if (pin && std::strcmp(pin, "64") == 0) return false;
  return ((M + BM - 1) / BM) * ((N + BM - 1) / BM) >= 64;
}

constexpr int64_t MAX_GRID_Y = 65535;

std::atomic<bool> tf32_on{false};

// The kernels' grids: tiles of M x N, and the split-K slices along z.
inline dim3 tile_grid(int64_t M, int64_t N, int64_t tile, unsigned slices) {
  return dim3(blocks_for(M, static_cast<int>(tile)), static_cast<unsigned>((N + tile - 1) / tile),
              slices);
}

template <typename T>
void launch_64(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
               const T* B, int64_t ldb, T beta, T* C, int64_t ldc, KSplit split, unsigned slices) {
  NVZ_LAUNCH_SYNC(gemm_64<T>, tile_grid(M, N, TILE, slices), dim3(TPB, TPB), ta, tb, M, N, K, alpha,
                  A, lda, B, ldb, beta, C, ldc, split);
}

void launch_128(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                KSplit split, unsigned slices) {
  NVZ_LAUNCH_SYNC(gemm_128, tile_grid(M, N, BM, slices), dim3(THREADS), ta, tb, M, N, K, alpha, A,
                  lda, vectorisable(A, lda), B, ldb, vectorisable(B, ldb), beta, C, ldc,
                  vectorisable(C, ldc), split);
}

template <bool TA, bool TB>
void launch_tf32_as(dim3 grid, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                    KSplit split) {
  auto gemm_tf32_ = gemm_tf32<TA, TB>;  // (a template-id's comma would split the macro's arguments)
  NVZ_LAUNCH_SYNC(gemm_tf32_, grid, dim3(THREADS), M, N, K, alpha, A, lda, vectorisable(A, lda), B,
                  ldb, vectorisable(B, ldb), beta, C, ldc, split);
}

void launch_tf32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                 KSplit split, unsigned slices) {
  auto launch = ta ? (tb ? launch_tf32_as<true, true> : launch_tf32_as<true, false>)
                   : (tb ? launch_tf32_as<false, true> : launch_tf32_as<false, false>);
  launch(tile_grid(M, N, BM, slices), M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, split);
}

// C = alpha (sum of the Z partial products in work, slice order) + beta C: split-K's second pass.
template <typename T>
__global__ void sum_slices_kernel(int64_t M, int64_t N, int64_t Z, const T* __restrict__ work,
                                  T alpha, T beta, T* __restrict__ C, int64_t ldc) {
  NVZ_EACH(i, M * N) {
    T acc = work[i];
    for (int64_t z = 1; z < Z; ++z) acc += work[z * M * N + i];
    store_out(&C[(i / N) * ldc + i % N], alpha, acc, beta);
  }
}

// Split-K. A product with few output tiles and a long K leaves most of a GPU idle: a convolution's
// weight gradient is 64 x 576 outputs over K = batch x pixels (65536 at b64 32x32), 9 blocks of
// 64 x 64 for 132 SMs, each looping over all of K. Such a product is cut along K into slices
// multiplied side by side (grid.z) into a workspace, then summed in slice order (deterministic;
// the sums differ from the unsplit ones only by rounding). Slices keep >= SPLIT_MIN_K of K each,
// the grid aims at SPLIT_BLOCKS blocks, and the workspace stays under SPLIT_WORKSPACE bytes.
// NVZ_GEMM_SPLITK=0 turns it off; =N forces N slices (tests reach it on small products).
constexpr int64_t SPLIT_BELOW_BLOCKS = 128, SPLIT_BLOCKS = 264, SPLIT_MIN_K = 512, SPLIT_MAX = 64,
                  SPLIT_WORKSPACE = int64_t(64) << 20, SLICE_ALIGN = 16;

int64_t split_count(int64_t M, int64_t N, int64_t K, int64_t tile, size_t elem) {
  const char* pin = std::getenv("NVZ_GEMM_SPLITK");
  if (pin != nullptr && *pin != '\0') {
    const int64_t n = std::atoll(pin);
    return n > 1 ? nvz_min(n, (K + SLICE_ALIGN - 1) / SLICE_ALIGN) : 1;
  }
  const int64_t tiles = ((M + tile - 1) / tile) * ((N + tile - 1) / tile);
  if (tiles >= SPLIT_BELOW_BLOCKS) return 1;
  int64_t s = nvz_min((SPLIT_BLOCKS + tiles - 1) / tiles, K / SPLIT_MIN_K);
  s = nvz_min(nvz_min(s, SPLIT_MAX), SPLIT_WORKSPACE / (M * N * static_cast<int64_t>(elem)));
  return nvz_max(s, int64_t(1));
}

// One column chunk of gemm(): the tile path's kernel, over `slices` K slices of `kslice` each.
template <typename T>
void launch_tiles(bool tf32, bool wide, bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                  const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                  KSplit split, unsigned slices) {
  if constexpr (std::is_same_v<T, float>) {
    if (tf32)
      return launch_tf32(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, split, slices);
    if (wide)
      return launch_128(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, split, slices);
  }
  launch_64<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, split, slices);
}

// TF32 tensor cores exist from sm_80 (Ampere) on: an older GPU's kernel image would trap, which
// poisons the process's CUDA context, so there the switch is refused and NVZ_TF32 ignored. The
// simulator models them.
bool tf32_supported() {
#ifdef NVZ_CUDA_SIM
  return true;
#else
  static const int major = [] {
    int device = 0, m = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&m, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return m;
  }();
  return major >= 8;
#endif
}

}  // namespace

void set_tf32(bool enabled) {
  if (enabled && !tf32_supported())
    throw std::runtime_error(
        "set_tf32: TF32 tensor cores need an sm_80 or newer GPU (Ampere, Hopper); this one has "
        "none");
  tf32_on.store(enabled);
}

bool tf32_enabled() {
  if (!tf32_supported()) return false;
  if (tf32_on.load()) return true;
  const char* e = std::getenv("NVZ_TF32");
  return e != nullptr && std::strcmp(e, "1") == 0;
}

template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // op(A) op(B) is all zeros: C = beta C
    NVZ_LAUNCH(scale_kernel<T>, dim3(blocks_for(M * N, 256)), dim3(256), M, N, beta, C, ldc);
    return;
  }
  const bool tf32 = std::is_same_v<T, float> && tf32_enabled();
  const bool wide = std::is_same_v<T, float> && (tf32 || use_128(M, N));
  const int64_t tile = wide ? BM : TILE;
  // grid.y holds at most 65535 column tiles: wider products go in column chunks (offsets that
  // are multiples of the tile keep B and C 16-byte aligned)
  const int64_t chunk = MAX_GRID_Y * tile;
  for (int64_t n0 = 0; n0 < N; n0 += chunk) {
    const int64_t n = nvz_min(chunk, N - n0);
    const T* Bn = tb ? B + n0 * ldb : B + n0;
    const int64_t splits = split_count(M, n, K, tile, sizeof(T));
    if (splits == 1) {
      launch_tiles<T>(tf32, wide, ta, tb, M, n, K, alpha, A, lda, Bn, ldb, beta, C + n0, ldc,
                      KSplit{K, 0}, 1);
      continue;
    }
    // slices of a multiple of SLICE_ALIGN (the kernels' k-steps; keeps float4 loads aligned)
    const int64_t per = (K + splits - 1) / splits;
    const int64_t kslice = (per + SLICE_ALIGN - 1) / SLICE_ALIGN * SLICE_ALIGN;
    const int64_t slices = (K + kslice - 1) / kslice;
    Storage work(static_cast<size_t>(slices * M * n) * sizeof(T));
    T* w = static_cast<T*>(work.ptr);
    launch_tiles<T>(tf32, wide, ta, tb, M, n, K, T(1), A, lda, Bn, ldb, T(0), w, n,
                    KSplit{kslice, M * n}, static_cast<unsigned>(slices));
    NVZ_LAUNCH(sum_slices_kernel<T>, dim3(each_grid(M * n)), dim3(EACH_THREADS), M, n, slices, w,
               alpha, beta, C + n0, ldc);
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace nvz::cuda

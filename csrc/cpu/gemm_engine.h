// The GEMM engine: packing, micro-kernel and blocked loops, written once with GCC/Clang
// vector extensions and compiled once per instruction set.
//
// NO include guard on purpose: gemm.cpp includes this file three times, each time inside a
// `#pragma GCC target(...)` region and with NVZ_GEMM_NAMESPACE naming a distinct namespace
// (generic / avx2 / avx512). Every function and template instantiation defined here then
// carries that ISA, so `V` is an xmm, ymm or zmm vector and `acc += a * b` becomes the
// matching FMA. (Mixing instead a plain template with target-attributed callers is not
// enough: GCC lowers vector code of the non-attributed template before inlining it.)
// Standard headers must be included before the first inclusion, outside any target region,
// so that no library code gets compiled for an ISA the running CPU may lack.
//
// Algorithm: Goto/BLIS on row-major storage (research/kernels.md §1).
//   C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, computed in register tiles
//   of MR rows x NR columns: vectors run along N (a tile row is NV vectors) and elements of
//   op(A) are broadcast. Loops, outermost first:
//     jc over N in NC columns
//       pc over K in KC steps: pack op(B)[pc:+KC, jc:+NC] into NR-wide k-major panels
//         ic over M in MC rows: pack op(A)[ic:+MC, pc:+KC] into MR-tall k-major panels
//           jr over the NR panels of B (the current one stays in L1 while ...)
//             ir over the MR panels of A (... these stream from L2): the micro-kernel
//   Transposes exist only in the pack routines. Edge panels are zero-padded, so the
//   micro-kernel always computes a full MR x NR tile and only its write-back is clipped.
//
// Small-M path (M <= 6 MR): packing would not be repaid (a packed element of A is read
// only N/NR times), so the micro-kernel reads op(A) in place through its strides, with
// tiles widened for short row blocks; op(B) is read in place too while M <= 2 MR and B is
// not transposed. A 1 x K by K x N product thus packs nothing but a ragged last strip.
// Dot path (M <= kDotMaxRows with op(B) = B^T): dot products of rows of op(A) and rows of
// stored B, so B^T is never transposed into panels for a product that uses it once.
//
// Results do not depend on the path or tile an element lands in: each element sums its
// K terms in order within a K block (KC fixed per K), which is what makes the threaded
// split reproducible (gemm.cpp). Only the dot path sums in another order, so the driver
// chooses it once for the whole product (Problem::dot_products), never per thread block.

#ifndef NVZ_GEMM_NAMESPACE
#error "gemm_engine.h is included by gemm.cpp with NVZ_GEMM_NAMESPACE defined"
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "gemm_types.h"

#ifndef NVZ_GEMM_HAVE_SHUFFLE  // GCC >= 12 and Clang; older compilers pack transposes scalar
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define NVZ_GEMM_HAVE_SHUFFLE 1
#endif
#endif
#endif
#ifndef NVZ_GEMM_HAVE_SHUFFLE
#define NVZ_GEMM_HAVE_SHUFFLE 0
#endif

#ifndef NVZ_GEMM_UNROLL
#if defined(__GNUC__) || defined(__clang__)
#define NVZ_GEMM_PRAGMA(x) _Pragma(#x)
#define NVZ_GEMM_UNROLL(n) NVZ_GEMM_PRAGMA(GCC unroll n)
#else
#define NVZ_GEMM_UNROLL(n)
#endif
#endif

namespace nvz::gemm_detail::NVZ_GEMM_NAMESPACE {
namespace {

// SIMD vector of T filling Isa::kVecBytes.
template <typename T, typename Isa>
struct Simd {
  static constexpr int kLanes = Isa::kVecBytes / int(sizeof(T));
  typedef T V __attribute__((vector_size(Isa::kVecBytes)));

  // A braced list of kLanes copies compiles to one broadcast (a loop of lane stores
  // would become a chain of inserts).
  static inline V splat(T s) { return splat_impl(s, std::make_index_sequence<kLanes>()); }
  template <size_t... I>
  static inline V splat_impl(T s, std::index_sequence<I...>) {
    return V{(static_cast<void>(I), s)...};
  }
  // Unaligned load/store: memcpy compiles to one vmovups.
  static inline V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  }
  static inline void store(T* p, V v) { std::memcpy(p, &v, sizeof(V)); }

#if NVZ_GEMM_HAVE_SHUFFLE
  // In-register transpose of kLanes vectors (rows) by log2(kLanes) perfect-shuffle rounds:
  // each round interleaves row i with row i + kLanes/2, which rotates the bits of the
  // (row, lane) index by one; after log2(kLanes) rounds rows and lanes have swapped.
  static inline void transpose(V (&r)[kLanes]) {
    for (int half = kLanes / 2, round = 1; round < kLanes; round *= 2) {
      V t[kLanes];
      for (int i = 0; i < half; ++i) {
        t[2 * i] = zip_lo(r[i], r[i + half], std::make_index_sequence<kLanes>());
        t[2 * i + 1] = zip_hi(r[i], r[i + half], std::make_index_sequence<kLanes>());
      }
      for (int i = 0; i < kLanes; ++i) r[i] = t[i];
    }
  }
  template <size_t... I>
  static inline V zip_lo(V a, V b, std::index_sequence<I...>) {  // a0 b0 a1 b1 ...
    return __builtin_shufflevector(a, b, (I % 2 ? kLanes + I / 2 : I / 2)...);
  }
  template <size_t... I>
  static inline V zip_hi(V a, V b, std::index_sequence<I...>) {  // a(L/2) b(L/2) ...
    constexpr int h = kLanes / 2;
    return __builtin_shufflevector(a, b, (I % 2 ? kLanes + h + I / 2 : h + I / 2)...);
  }
#endif
};

// ---------------------------------------------------------------------------------------
// Packing. Panels are k-major: element (r, k) of a panel of width W sits at [k * W + r].
// Rows and columns past the matrix edge are written as zeros.
// ---------------------------------------------------------------------------------------

// Interleave MR rows of op(A), each contiguous in k, into k-major order for k in
// [0, k_end), k_end a multiple of L: L x L blocks are transposed in registers (rows past
// m read as zeros). Each k's MR values are written with whole vectors, so up to L - 1
// values spill past them; the next k's stores overwrite those, and the pack buffer has
// kPackSlack elements of room after the last panel.
template <typename T, typename Isa, int MR>
void pack_a_rows_blocks(const T* const (&rows)[MR], int m, int64_t k_end, T* __restrict__ dst) {
#if NVZ_GEMM_HAVE_SHUFFLE
  using S = Simd<T, Isa>;
  constexpr int L = S::kLanes, G = (MR + L - 1) / L;  // G groups of L rows
  for (int64_t k0 = 0; k0 < k_end; k0 += L) {
    typename S::V t[G][L];
    for (int g = 0; g < G; ++g) {
      for (int r = 0; r < L; ++r) {
        const int row = g * L + r;
        t[g][r] = row < MR && row < m ? S::load(rows[row] + k0) : S::splat(T(0));
      }
      S::transpose(t[g]);
    }
    for (int k = 0; k < L; ++k)  // in increasing address order, so spills get overwritten
      for (int g = 0; g < G; ++g) S::store(dst + (k0 + k) * MR + g * L, t[g][k]);
  }
#else
  (void)rows, (void)m, (void)k_end, (void)dst;
#endif
}

// op(A)[i0 : i0+mc, p0 : p0+kc] -> ceil(mc/MR) panels of MR x kc. op(A) has m_total
// rows, so a stored row of A^T may be read up to m_total - i0 values past i0.
template <typename T, typename Isa, int MR>
void pack_a(const MatView<T>& A, int64_t m_total, int64_t i0, int64_t p0, int64_t mc, int64_t kc,
            T* __restrict__ dst) {
  using S = Simd<T, Isa>;
  constexpr int L = S::kLanes, G = (MR + L - 1) / L;
  for (int64_t ip = 0; ip < mc; ip += MR, dst += MR * kc) {
    const int m = int(std::min<int64_t>(MR, mc - ip));
    const T* src = A.at(i0 + ip, p0);
    if (A.rs == 1 && m == MR && i0 + ip + G * L <= m_total) {
      // op(A) = stored A^T, and G whole vectors from each k stay inside the matrix: copy
      // them; the values past MR spill into the next k, which overwrites them.
      for (int64_t k = 0; k < kc; ++k)
        for (int g = 0; g < G; ++g) S::store(dst + k * MR + g * L, S::load(src + k * A.cs + g * L));
      continue;
    }
    if (A.rs == 1) {  // op(A) = stored A^T: the MR values of one k are contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const T* s = src + k * A.cs;
        for (int r = 0; r < m; ++r) dst[k * MR + r] = s[r];
        for (int r = m; r < MR; ++r) dst[k * MR + r] = T(0);
      }
      continue;
    }
    // rows of op(A) are contiguous in k: interleave MR row streams (a transpose)
    const T* rows[MR];
    for (int r = 0; r < MR; ++r) rows[r] = src + std::min(r, m - 1) * A.rs;
    const int64_t k_vec = NVZ_GEMM_HAVE_SHUFFLE && A.cs == 1 ? kc / L * L : 0;
    pack_a_rows_blocks<T, Isa, MR>(rows, m, k_vec, dst);
    for (int64_t k = k_vec; k < kc; ++k) {
      for (int r = 0; r < m; ++r) dst[k * MR + r] = rows[r][k * A.cs];
      for (int r = m; r < MR; ++r) dst[k * MR + r] = T(0);
    }
  }
}

// Full-width panel of op(B) = B^T (rows of stored B contiguous in k): transposes L x L
// blocks in registers, L = vector lanes. Returns how many k were packed (a multiple of L).
template <typename T, typename Isa>
int64_t pack_b_transposed_blocks(const MatView<T>& B, int64_t p0, int64_t j0, int64_t kc,
                                 T* __restrict__ dst) {
#if NVZ_GEMM_HAVE_SHUFFLE
  using S = Simd<T, Isa>;
  constexpr int L = S::kLanes, NV = Blocking<T, Isa>::NV, NR = NV * L;
  int64_t k0 = 0;
  for (; k0 + L <= kc; k0 += L) {
    for (int g = 0; g < NV; ++g) {
      typename S::V r[L];
      for (int c = 0; c < L; ++c) r[c] = S::load(B.at(p0 + k0, j0 + g * L + c));
      S::transpose(r);
      for (int k = 0; k < L; ++k) S::store(dst + (k0 + k) * NR + g * L, r[k]);
    }
  }
  return k0;
#else
  (void)B, (void)p0, (void)j0, (void)kc, (void)dst;
  return 0;
#endif
}

// op(B)[p0 : p0+kc, j0 : j0+nc] -> ceil(nc/NR) panels of kc x NR.
template <typename T, typename Isa, int NR>
void pack_b(const MatView<T>& B, int64_t p0, int64_t j0, int64_t kc, int64_t nc,
            T* __restrict__ dst) {
  using S = Simd<T, Isa>;
  const int64_t n_full = nc / NR * NR, panel = kc * NR;
  if (B.cs == 1) {
    // op(B) = B: walk B row by row (sequential reads; a panel-by-panel walk would read one
    // cache line per row, and rows with a power-of-two stride fight over a few L1 sets).
    for (int64_t k = 0; k < kc; ++k) {
      const T* s = B.at(p0 + k, j0);
      T* d = dst + k * NR;
      for (int64_t jp = 0; jp < n_full; jp += NR)
        for (int v = 0; v < NR; v += S::kLanes) S::store(d + jp * kc + v, S::load(s + jp + v));
      if (n_full < nc) {
        T* e = d + n_full * kc;
        for (int64_t c = 0; c < nc - n_full; ++c) e[c] = s[n_full + c];
        for (int64_t c = nc - n_full; c < NR; ++c) e[c] = T(0);
      }
    }
    return;
  }
  // op(B) = stored B^T: each panel column is a contiguous row of B (a transpose).
  for (int64_t jp = 0; jp < nc; jp += NR, dst += panel) {
    const int64_t n = std::min<int64_t>(NR, nc - jp);
    int64_t k0 = 0;
    if (n == NR) k0 = pack_b_transposed_blocks<T, Isa>(B, p0, j0 + jp, kc, dst);
    for (int64_t c = 0; c < n; ++c) {
      const T* s = B.at(p0, j0 + jp + c);
      for (int64_t k = k0; k < kc; ++k) dst[k * NR + c] = s[k * B.rs];
    }
    for (int64_t c = n; c < NR; ++c)
      for (int64_t k = k0; k < kc; ++k) dst[k * NR + c] = T(0);
  }
}

// ---------------------------------------------------------------------------------------
// Micro-kernel: acc (R x W vectors) = sum over k of a(:, k) b(k, :), then
// C = alpha * acc + beta * C on its m x n valid corner. beta == 0 never reads C, so stale
// NaNs in an output buffer cannot leak into the result.
// ---------------------------------------------------------------------------------------

// Where a kernel finds its B operand: vector j (of W) of row k is at
//   p + k * rs + (j / NV) * ps + (j % NV) * L,
// i.e. a run of NR-wide panels, ps apart. Packed: rs = NR, ps = NR * kc (next panel).
// In place: rs = ldb, ps = NR (the next columns of the same row).
template <typename T>
struct BPanels {
  const T* p;
  int64_t rs, ps;
};

template <typename T, typename Isa, int R, int W>
inline void write_back(const typename Simd<T, Isa>::V (&acc)[R][W], const OutView<T>& C, int64_t i0,
                       int64_t j0, int m, int n, T alpha, T beta) {
  using S = Simd<T, Isa>;
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const V va = S::splat(alpha);
  if (m == R && n == W * L && C.cs == 1) {
    T* c = C.p + i0 * C.rs + j0;
    const V vb = S::splat(beta);
    NVZ_GEMM_UNROLL(16)
    for (int i = 0; i < R; ++i) {
      NVZ_GEMM_UNROLL(16)
      for (int j = 0; j < W; ++j) {
        // alpha * acc first, then (with beta) one fused beta * c + that, exactly as the
        // scalar path below: a tile's results do not depend on where its edges fall.
        T* cij = c + i * C.rs + j * L;
        const V r = acc[i][j] * va;
        S::store(cij, beta == T(0) ? r : S::load(cij) * vb + r);
      }
    }
    return;
  }
  // Ragged or transposed tile: go through a small buffer, write only the valid part.
  alignas(64) T tile[R][W * L];
  NVZ_GEMM_UNROLL(16)
  for (int i = 0; i < R; ++i) {
    NVZ_GEMM_UNROLL(16)
    for (int j = 0; j < W; ++j) S::store(&tile[i][j * L], acc[i][j] * va);
  }
  for (int i = 0; i < m; ++i) {
    T* c = C.p + (i0 + i) * C.rs + j0 * C.cs;
    if (beta == T(0)) {
      for (int j = 0; j < n; ++j) c[j * C.cs] = tile[i][j];
    } else {
      for (int j = 0; j < n; ++j) c[j * C.cs] = beta * c[j * C.cs] + tile[i][j];
    }
  }
}

// R rows x W vectors. a: a packed MR x kc panel (kPackedA: rows 1 apart, k R apart) or
// op(A) in place (rows rs_a apart, k cs_a apart).
template <typename T, typename Isa, int R, int W, bool kPackedA>
void micro_kernel(int64_t kc, const T* __restrict__ a, int64_t rs_a, int64_t cs_a, BPanels<T> b,
                  const OutView<T>& C, int64_t i0, int64_t j0, int m, int n, T alpha, T beta) {
  using S = Simd<T, Isa>;
  using V = typename S::V;
  constexpr int L = S::kLanes, NV = Blocking<T, Isa>::NV;
  static_assert(W % NV == 0, "a kernel spans whole panels");
  if (kPackedA) {  // compile-time strides
    rs_a = 1;
    cs_a = R;
  }
  // Start fetching the C tile now so the write-back does not wait on cache misses.
  if (C.cs == 1) {
    T* c = C.p + i0 * C.rs + j0;
    NVZ_GEMM_UNROLL(16)
    for (int i = 0; i < R; ++i) {
      __builtin_prefetch(c + i * C.rs, 1);
      __builtin_prefetch(c + i * C.rs + W * L - 1, 1);
    }
  }
  const T* __restrict__ bp[W / NV];
  NVZ_GEMM_UNROLL(16)
  for (int g = 0; g < W / NV; ++g) bp[g] = b.p + g * b.ps;

  V acc[R][W];
  NVZ_GEMM_UNROLL(16)
  for (int i = 0; i < R; ++i) {
    NVZ_GEMM_UNROLL(16)
    for (int j = 0; j < W; ++j) acc[i][j] = S::splat(T(0));
  }
  NVZ_GEMM_UNROLL(4)
  for (int64_t k = 0; k < kc; ++k) {
    V bk[W];
    NVZ_GEMM_UNROLL(16)
    for (int j = 0; j < W; ++j) bk[j] = S::load(bp[j / NV] + k * b.rs + (j % NV) * L);
    NVZ_GEMM_UNROLL(16)
    for (int i = 0; i < R; ++i) {
      const V aik = S::splat(a[i * rs_a]);
      NVZ_GEMM_UNROLL(16)
      for (int j = 0; j < W; ++j) acc[i][j] += aik * bk[j];
    }
    a += cs_a;
  }
  write_back<T, Isa, R, W>(acc, C, i0, j0, m, n, alpha, beta);
}

// ---------------------------------------------------------------------------------------
// Small-M path: op(A) read in place, R rows at a time.
// ---------------------------------------------------------------------------------------

// Vectors per tile row for an R-row tile: with few rows the tile widens so that about
// MR * NV accumulators still hide the FMA latency (a 1-row tile of NV vectors would wait
// on a single dependency chain per vector).
template <typename T, typename Isa, int R>
constexpr int row_tile_vectors() {
  constexpr int MR = Blocking<T, Isa>::MR, NV = Blocking<T, Isa>::NV;
  int w = 1;
  while (2 * w * R <= MR) w *= 2;
  return NV * w;
}

// Columns [j, j_end) of tile rows i0 .. i0+R, with B's column j at b: widest tiles first,
// then halving down to one panel. A tile may run past j_end into B's zero padding, up to
// j_pad (packed B; in-place B has no padding, so j_pad = j_end there).
template <typename T, typename Isa, int R, int W>
inline void sweep_columns(int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, BPanels<T> b,
                          const OutView<T>& C, int64_t i0, int64_t j, int64_t j_end, int64_t j_pad,
                          T alpha, T beta) {
  constexpr int L = Simd<T, Isa>::kLanes, NV = Blocking<T, Isa>::NV;
  for (; j + W * L <= j_pad && j < j_end; j += W * L) {
    micro_kernel<T, Isa, R, W, false>(kc, a, rs_a, cs_a, b, C, i0, j, R,
                                      int(std::min<int64_t>(W * L, j_end - j)), alpha, beta);
    b.p += (W / NV) * b.ps;
  }
  if constexpr (W > NV)
    sweep_columns<T, Isa, R, W / 2>(kc, a, rs_a, cs_a, b, C, i0, j, j_end, j_pad, alpha, beta);
}

// One block of R rows of op(A) in place against columns [0, nc) of the current B block:
// in-place columns [0, n_inplace) from `direct`, the rest from packed panels `packed`.
template <typename T, typename Isa, int R>
inline void row_block(int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, BPanels<T> direct,
                      int64_t n_inplace, BPanels<T> packed, int64_t nc, const OutView<T>& C,
                      int64_t i0, int64_t j0, T alpha, T beta) {
  constexpr int NR = tile_width<T, Isa>();
  constexpr int W = row_tile_vectors<T, Isa, R>();
  const OutView<T> c{C.p + j0 * C.cs, C.rs, C.cs};
  if (n_inplace > 0)
    sweep_columns<T, Isa, R, W>(kc, a, rs_a, cs_a, direct, c, i0, 0, n_inplace, n_inplace, alpha,
                                beta);
  if (n_inplace < nc) {
    const OutView<T> c2{c.p + n_inplace * C.cs, C.rs, C.cs};
    const int64_t n = nc - n_inplace, n_pad = (n + NR - 1) / NR * NR;
    sweep_columns<T, Isa, R, W>(kc, a, rs_a, cs_a, packed, c2, i0, 0, n, n_pad, alpha, beta);
  }
}

// Dispatch the last m < MR rows to the block instantiated for exactly m rows.
template <typename T, typename Isa, int R>
inline void row_block_tail(int m, int64_t kc, const T* a, int64_t rs_a, int64_t cs_a,
                           BPanels<T> direct, int64_t n_inplace, BPanels<T> packed, int64_t nc,
                           const OutView<T>& C, int64_t i0, int64_t j0, T alpha, T beta) {
  if constexpr (R >= 1) {
    if (m == R)
      row_block<T, Isa, R>(kc, a, rs_a, cs_a, direct, n_inplace, packed, nc, C, i0, j0, alpha,
                           beta);
    else
      row_block_tail<T, Isa, R - 1>(m, kc, a, rs_a, cs_a, direct, n_inplace, packed, nc, C, i0, j0,
                                    alpha, beta);
  }
}

// ---------------------------------------------------------------------------------------
// Blocked driver for one thread's (sub-)problem.
// ---------------------------------------------------------------------------------------

// Measured on Zen 3 (M x 128 @ 128 x 512 and M x 784 @ 784 x 256): reading op(A) in place
// beats packing it up to M ~ 6 MR rows (each packed element would be reused only N/NR
// times per K block, and these calls are short). op(B) read in place wins only while it
// is swept at most twice (M <= 2 MR): rows of B lie ldb apart, often a multiple of 4 KiB
// pages, so the hardware prefetcher cannot run ahead, while a packed block streams.
// op(B)^T is always packed: the kernel needs rows of op(B), which B^T does not store.
template <typename T, typename Isa>
bool use_small_m_path(const Problem<T>& p) {
  return p.M <= 6 * Blocking<T, Isa>::MR;
}
template <typename T, typename Isa>
bool use_b_in_place(const Problem<T>& p) {
  return p.B.cs == 1 && p.M <= 2 * Blocking<T, Isa>::MR;
}

// Split n into equal blocks of at most max_block, rounded up to a multiple of unit: K = 784
// becomes 4 x 196 rather than 3 x 256 + 16 (a thin last block pays a full C update).
inline int64_t balanced_block(int64_t n, int64_t max_block, int64_t unit) {
  const int64_t blocks = (n + max_block - 1) / max_block;
  const int64_t b = (n + blocks - 1) / blocks;
  return (b + unit - 1) / unit * unit;
}

template <typename T, typename Isa>
void gemm_blocked(const Problem<T>& p) {
  using Cfg = Blocking<T, Isa>;
  constexpr int MR = Cfg::MR, NV = Cfg::NV, NR = tile_width<T, Isa>();
  const int64_t KC = balanced_block(p.K, Cfg::KC, 4);
  const int64_t MC = balanced_block(p.M, Cfg::MC, MR);
  const int64_t NC = balanced_block(p.N, Cfg::NC, NR);

  const bool small_m = use_small_m_path<T, Isa>(p);
  const bool b_inplace = small_m && use_b_in_place<T, Isa>(p);
  Workspace<T>& ws = Workspace<T>::for_this_thread();
  const int64_t kc_max = std::min(KC, p.K);
  T* bbuf = ws.b.get(size_t(kc_max * (b_inplace ? NR : (std::min(NC, p.N) + NR - 1) / NR * NR)));
  const int64_t mc_max = (std::min(MC, p.M) + MR - 1) / MR * MR;
  T* abuf = small_m ? nullptr : ws.a.get(size_t(kc_max * mc_max) + kPackSlack);

  for (int64_t jc = 0; jc < p.N; jc += NC) {
    const int64_t nc = std::min(NC, p.N - jc);
    // In-place B: only a ragged last strip is packed (zero-padded to NR columns).
    const int64_t n_inplace = b_inplace ? nc / NR * NR : 0;
    for (int64_t pc = 0; pc < p.K; pc += KC) {
      const int64_t kc = std::min(KC, p.K - pc);
      const T beta = pc == 0 ? p.beta : T(1);  // later K blocks accumulate onto the first
      if (n_inplace < nc) pack_b<T, Isa, NR>(p.B, pc, jc + n_inplace, kc, nc - n_inplace, bbuf);
      const BPanels<T> packed{bbuf, NR, NR * kc};

      if (small_m) {
        const BPanels<T> direct{p.B.at(pc, jc), p.B.rs, NR};
        int64_t i = 0;
        for (; i + MR <= p.M; i += MR)
          row_block<T, Isa, MR>(kc, p.A.at(i, pc), p.A.rs, p.A.cs, direct, n_inplace, packed, nc,
                                p.C, i, jc, p.alpha, beta);
        if (i < p.M)
          row_block_tail<T, Isa, MR - 1>(int(p.M - i), kc, p.A.at(i, pc), p.A.rs, p.A.cs, direct,
                                         n_inplace, packed, nc, p.C, i, jc, p.alpha, beta);
        continue;
      }

      for (int64_t ic = 0; ic < p.M; ic += MC) {
        const int64_t mc = std::min(MC, p.M - ic);
        pack_a<T, Isa, MR>(p.A, p.M, ic, pc, mc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int n = int(std::min<int64_t>(NR, nc - jr));
          const BPanels<T> b{bbuf + jr * kc, NR, 0};
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int m = int(std::min<int64_t>(MR, mc - ir));
            micro_kernel<T, Isa, MR, NV, true>(kc, abuf + ir * kc, 1, MR, b, p.C, ic + ir, jc + jr,
                                               m, n, p.alpha, beta);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Few rows times op(B) = B^T: dot products. Every row of op(A) meets each row of stored B
// once, so packing B^T (a transpose of all of B) would cost more than the product itself.
// Instead L rows of B are streamed at once against one row of op(A), with one vector
// accumulator per B row, and the L accumulators are reduced together by a transpose.
// ---------------------------------------------------------------------------------------

// Sum of each of the L vectors, as one vector: lane c holds the sum of acc[c].
template <typename T, typename Isa>
inline typename Simd<T, Isa>::V reduce_lanes(
    typename Simd<T, Isa>::V (&acc)[Simd<T, Isa>::kLanes]) {
  using S = Simd<T, Isa>;
  constexpr int L = S::kLanes;
#if NVZ_GEMM_HAVE_SHUFFLE
  S::transpose(acc);
  typename S::V sum = acc[0];
  for (int l = 1; l < L; ++l) sum += acc[l];
  return sum;
#else
  typename S::V sum;
  for (int c = 0; c < L; ++c) {
    T s = acc[c][0];
    for (int l = 1; l < L; ++l) s += acc[c][l];
    sum[c] = s;
  }
  return sum;
#endif
}

template <typename T, typename Isa>
void gemm_dot(const Problem<T>& p) {
  using S = Simd<T, Isa>;
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const int64_t K = p.K, k_vec = K / L * L;
  const int64_t ldb = p.B.cs;  // row c of stored B (column c of op(B)) starts at B + c*ldb
  for (int64_t i = 0; i < p.M; ++i) {
    const T* a = p.A.at(i, 0);
    if (p.A.cs != 1) {  // a row of stored A^T is strided: gather it once
      T* row = Workspace<T>::for_this_thread().a.get(size_t(K));
      for (int64_t k = 0; k < K; ++k) row[k] = a[k * p.A.cs];
      a = row;
    }
    T* c = p.C.p + i * p.C.rs;
    for (int64_t j = 0; j < p.N; j += L) {
      const int n = int(std::min<int64_t>(L, p.N - j));
      const T* b = p.B.at(0, j);
      alignas(64) T dot[L];
      if (n == L) {
        V acc[L];
        NVZ_GEMM_UNROLL(16)
        for (int r = 0; r < L; ++r) acc[r] = S::splat(T(0));
        for (int64_t k = 0; k < k_vec; k += L) {
          const V ak = S::load(a + k);
          NVZ_GEMM_UNROLL(16)
          for (int r = 0; r < L; ++r) acc[r] += ak * S::load(b + r * ldb + k);
        }
        S::store(dot, reduce_lanes<T, Isa>(acc));
      } else {  // last few rows of B, one vector accumulator each
        for (int r = 0; r < n; ++r) {
          V acc = S::splat(T(0));
          for (int64_t k = 0; k < k_vec; k += L) acc += S::load(a + k) * S::load(b + r * ldb + k);
          T sum = acc[0];
          for (int l = 1; l < L; ++l) sum += acc[l];
          dot[r] = sum;
        }
      }
      for (int r = 0; r < n; ++r) {
        T sum = dot[r];
        for (int64_t k = k_vec; k < K; ++k) sum += a[k] * b[r * ldb + k];
        T& out = c[(j + r) * p.C.cs];
        out = p.beta == T(0) ? p.alpha * sum : p.alpha * sum + p.beta * out;
      }
    }
  }
}

// The engine's entry point for one thread's (sub-)problem (M, N, K > 0).
template <typename T, typename Isa>
void gemm_serial(const Problem<T>& p) {
  if (p.dot_products)
    gemm_dot<T, Isa>(p);
  else
    gemm_blocked<T, Isa>(p);
}

}  // namespace
}  // namespace nvz::gemm_detail::NVZ_GEMM_NAMESPACE

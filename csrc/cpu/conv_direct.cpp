// Direct convolution kernels (see conv_direct.h), one templated body per kernel that is
// compiled for each instruction set: the generic body uses 16-byte vectors (SSE2 / NEON),
// the AVX2 and AVX-512 bodies are the same source inlined into entry points carrying the
// matching target attribute. Every helper is force-inlined for that reason: a template that
// is not inlined would be compiled for baseline x86-64 whatever its caller's ISA.
//
// Register tiling: direct_corr keeps OB output channels x RB output rows x NV vectors of
// accumulators; per tap it loads RB*NV input vectors, broadcasts OB weights and issues
// OB*RB*NV FMAs. direct_wgrad keeps OB output channels x JB (channel, tap) pairs of vector
// accumulators over a tile of rows and adds them to memory once per tile.
#include "conv_direct.h"

#include <algorithm>
#include <cstring>

// Vectors are only passed between force-inlined functions, never across a call boundary,
// so the ABI change GCC warns about (-Wpsabi) never happens.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define NVZ_CONV_INLINE inline __attribute__((always_inline))
#else
#define NVZ_CONV_INLINE inline
#endif

namespace nvz::conv_detail {
namespace {

// ---------------------------------------------------------------------------------------
// Instruction sets: vector width and the accumulator budget of the register file.
// ---------------------------------------------------------------------------------------
struct IsaGeneric { static constexpr int kVecBytes = 16, kAcc = 12; };  // 16 xmm registers
struct IsaAvx2 { static constexpr int kVecBytes = 32, kAcc = 12; };     // 16 ymm registers
struct IsaAvx512 { static constexpr int kVecBytes = 64, kAcc = 24; };   // 32 zmm registers

template <typename T, int V>
struct VecOf {
  typedef T type __attribute__((vector_size(V * sizeof(T))));
};
template <typename T, class Tag>
constexpr int lanes_of() { return Tag::kVecBytes / static_cast<int>(sizeof(T)); }

template <typename Vec, typename T>
NVZ_CONV_INLINE Vec load(const T* p) {
  Vec v;
  std::memcpy(&v, p, sizeof(Vec));
  return v;
}

template <typename Vec, typename T>
NVZ_CONV_INLINE void store(T* p, const Vec& v) {
  std::memcpy(p, &v, sizeof(Vec));
}

template <typename Vec, typename T>
NVZ_CONV_INLINE void store_first(T* p, const Vec& v, int64_t n) {
  for (int64_t l = 0; l < n; ++l) p[l] = v[l];
}

// ---------------------------------------------------------------------------------------
// direct_corr
// ---------------------------------------------------------------------------------------

// Output rows per register tile: fill the accumulator budget, at most 8 rows.
constexpr int corr_rows(int acc, int ob, int nv) {
  return std::max(1, std::min(8, acc / (ob * nv)));
}

// One register tile: OB channels (indices o[]) x RB rows x NV vectors starting at column c0.
// Channels and rows past the end are clamped duplicates of the last one, so the tile
// recomputes and rewrites identical values (harmless: outputs are overwritten, not summed).
template <typename T, class Tag, int OB, int RB, int NV>
NVZ_CONV_INLINE void corr_tile(const CorrArgs<T>& a, const int64_t* o, const int64_t* r,
                               int64_t c0) {
  constexpr int V = lanes_of<T, Tag>();
  using Vec = typename VecOf<T, V>::type;
  Vec acc[OB][RB][NV];
  for (int k = 0; k < OB; ++k) {
    const T b = a.bias ? a.bias[o[k]] : T(0);
    for (int q = 0; q < RB; ++q)
      for (int j = 0; j < NV; ++j) acc[k][q][j] = Vec{} + b;
  }
  // Taps that read only zero padding for every row of the tile are skipped.
  int64_t t_lo = a.taps, t_hi = 0;
  for (int q = 0; q < RB; ++q) {
    t_lo = std::min(t_lo, a.row_taps ? a.row_taps[2 * r[q]] : 0);
    t_hi = std::max(t_hi, a.row_taps ? a.row_taps[2 * r[q] + 1] : a.taps);
  }
  for (int64_t i = 0; i < a.I; ++i) {
    const T* __restrict__ src[RB];
    for (int q = 0; q < RB; ++q) src[q] = a.in + i * a.in_ps + r[q] * a.in_rs + c0;
    const T* __restrict__ w[OB];
    for (int k = 0; k < OB; ++k) w[k] = a.wt + (o[k] * a.I + i) * a.taps;
    for (int64_t t = t_lo; t < t_hi; ++t) {
      const int64_t off = a.off[t];
      Vec xv[RB][NV];
      for (int q = 0; q < RB; ++q)
        for (int j = 0; j < NV; ++j) xv[q][j] = load<Vec>(src[q] + off + j * V);
      for (int k = 0; k < OB; ++k) {
        const T wk = w[k][t];
        for (int q = 0; q < RB; ++q)
          for (int j = 0; j < NV; ++j) acc[k][q][j] += wk * xv[q][j];
      }
    }
  }
  for (int k = 0; k < OB; ++k)
    for (int q = 0; q < RB; ++q) {
      T* dst = a.out + o[k] * a.out_ps + r[q] * a.out_rs + c0;
      for (int j = 0; j < NV; ++j) {
        const int64_t n = a.Cw - c0 - j * V;
        if (n >= V)
          store(dst + j * V, acc[k][q][j]);
        else if (n > 0)
          store_first(dst + j * V, acc[k][q][j], n);
      }
    }
}

template <typename T, class Tag, int OB, int NV>
NVZ_CONV_INLINE void corr_body(const CorrArgs<T>& a) {
  constexpr int RB = corr_rows(Tag::kAcc, OB, NV);
  constexpr int64_t CB = int64_t(NV) * lanes_of<T, Tag>();
  for (int64_t o0 = 0; o0 < a.O; o0 += OB) {
    int64_t o[OB];
    for (int k = 0; k < OB; ++k) o[k] = std::min(o0 + k, a.O - 1);
    for (int64_t r0 = 0; r0 < a.R; r0 += RB) {
      int64_t r[RB];
      for (int q = 0; q < RB; ++q) r[q] = std::min(r0 + q, a.R - 1);
      for (int64_t c0 = 0; c0 < a.Cw; c0 += CB) corr_tile<T, Tag, OB, RB, NV>(a, o, r, c0);
    }
  }
}

// ---------------------------------------------------------------------------------------
// direct_wgrad
// ---------------------------------------------------------------------------------------

template <class Tag>
constexpr int wgrad_pairs() { return Tag::kAcc >= 24 ? 4 : 2; }

// The rows of all B images are processed in tiles: every (channel, pair) block sweeps one
// tile with its accumulators in registers and then adds them to memory. A tile holds about
// kWgradTileVectors vectors per row sweep, so that the add to memory is amortised, and few
// enough rows that the tile's gy and x rows stay in L1 while all blocks sweep them.
constexpr int64_t kWgradTileVectors = 64;
constexpr int64_t kWgradMaxTileRows = 64;

// OB channels x JB (channel, tap) pairs of vector accumulators over one tile of rows.
// Blocks past the end of O or J are clamped duplicates whose sums are dropped.
template <typename T, class Tag>
NVZ_CONV_INLINE void wgrad_tile(const WgradArgs<T>& a, const T* const* gy_rows,
                                const T* const* x_rows, int64_t rows) {
  constexpr int V = lanes_of<T, Tag>();
  constexpr int OB = 4, JB = wgrad_pairs<Tag>();
  using Vec = typename VecOf<T, V>::type;
  const int64_t full = a.Cw / V * V, tail = a.Cw - full;
  // The tail vector reads x past the row: mask those lanes so that an inf there cannot
  // turn 0 * inf into a NaN. gy is loaded lane by lane there, never past its end.
  Vec lane;
  for (int l = 0; l < V; ++l) lane[l] = T(l);
  const auto keep = lane < (Vec{} + T(tail));
  for (int64_t o0 = 0; o0 < a.O; o0 += OB) {
    int64_t o[OB];
    for (int k = 0; k < OB; ++k) o[k] = std::min(o0 + k, a.O - 1);
    for (int64_t j0 = 0; j0 < a.J; j0 += JB) {
      int64_t off[JB];
      for (int q = 0; q < JB; ++q) off[q] = a.off[std::min(j0 + q, a.J - 1)];
      Vec acc[OB][JB];
      for (int k = 0; k < OB; ++k)
        for (int q = 0; q < JB; ++q) acc[k][q] = Vec{};
      for (int64_t row = 0; row < rows; ++row) {
        const T* __restrict__ g[OB];
        for (int k = 0; k < OB; ++k) g[k] = gy_rows[row] + o[k] * a.gy_ps;
        const T* __restrict__ x = x_rows[row];
        for (int64_t c = 0; c < full; c += V) {
          Vec xv[JB], gv[OB];
          for (int q = 0; q < JB; ++q) xv[q] = load<Vec>(x + off[q] + c);
          for (int k = 0; k < OB; ++k) gv[k] = load<Vec>(g[k] + c);
          for (int k = 0; k < OB; ++k)
            for (int q = 0; q < JB; ++q) acc[k][q] += gv[k] * xv[q];
        }
        if (tail) {
          Vec xv[JB], gv[OB];
          for (int q = 0; q < JB; ++q) {
            const Vec v = load<Vec>(x + off[q] + full);
            xv[q] = keep ? v : Vec{};
          }
          for (int k = 0; k < OB; ++k) {
            gv[k] = Vec{};
            for (int64_t l = 0; l < tail; ++l) gv[k][l] = g[k][full + l];
          }
          for (int k = 0; k < OB; ++k)
            for (int q = 0; q < JB; ++q) acc[k][q] += gv[k] * xv[q];
        }
      }
      for (int k = 0; k < OB && o0 + k < a.O; ++k)
        for (int q = 0; q < JB && j0 + q < a.J; ++q) {
          T* p = a.part + ((o0 + k) * a.J + j0 + q) * V;
          store(p, load<Vec>(p) + acc[k][q]);
        }
    }
  }
}

template <typename T, class Tag>
NVZ_CONV_INLINE void wgrad_body(const WgradArgs<T>& a) {
  constexpr int V = lanes_of<T, Tag>();
  const int64_t vectors = (a.Cw + V - 1) / V;
  const int64_t tile = std::clamp<int64_t>(kWgradTileVectors / vectors, 1, kWgradMaxTileRows);
  const T* gy_rows[kWgradMaxTileRows];
  const T* x_rows[kWgradMaxTileRows];
  int64_t b = 0, r = 0;  // image and row that start the next tile
  for (int64_t left = a.B * a.R; left > 0;) {
    const int64_t rows = std::min(tile, left);
    for (int64_t i = 0; i < rows; ++i) {
      gy_rows[i] = a.gy + b * a.gy_is + r * a.gy_rs;
      x_rows[i] = a.in + b * a.in_is + r * a.in_rs;
      if (++r == a.R) r = 0, ++b;
    }
    wgrad_tile<T, Tag>(a, gy_rows, x_rows, rows);
    left -= rows;
  }
}

// ---------------------------------------------------------------------------------------
// Entry points, one per (ISA, tile shape). Internal linkage keeps the ISA copies apart.
// ---------------------------------------------------------------------------------------
template <typename T>
using CorrFn = void (*)(const CorrArgs<T>&);
template <typename T>
using WgradFn = void (*)(const WgradArgs<T>&);

template <typename T, int OB, int NV>
void corr_generic(const CorrArgs<T>& a) { corr_body<T, IsaGeneric, OB, NV>(a); }
template <typename T>
void wgrad_generic(const WgradArgs<T>& a) { wgrad_body<T, IsaGeneric>(a); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVZ_CONV_X86 1
#define NVZ_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define NVZ_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
template <typename T, int OB, int NV>
NVZ_TARGET_AVX2 void corr_avx2(const CorrArgs<T>& a) { corr_body<T, IsaAvx2, OB, NV>(a); }
template <typename T, int OB, int NV>
NVZ_TARGET_AVX512 void corr_avx512(const CorrArgs<T>& a) { corr_body<T, IsaAvx512, OB, NV>(a); }
template <typename T>
NVZ_TARGET_AVX2 void wgrad_avx2(const WgradArgs<T>& a) { wgrad_body<T, IsaAvx2>(a); }
template <typename T>
NVZ_TARGET_AVX512 void wgrad_avx512(const WgradArgs<T>& a) { wgrad_body<T, IsaAvx512>(a); }
#endif

template <typename T, int OB, int NV>
CorrFn<T> corr_entry(Isa isa) {
#ifdef NVZ_CONV_X86
  if (isa == Isa::avx512) return corr_avx512<T, OB, NV>;
  if (isa == Isa::avx2) return corr_avx2<T, OB, NV>;
#endif
  (void)isa;
  return corr_generic<T, OB, NV>;
}

template <typename T>
int vec_lanes(Isa isa) {
#ifdef NVZ_CONV_X86
  if (isa == Isa::avx512) return lanes_of<T, IsaAvx512>();
  if (isa == Isa::avx2) return lanes_of<T, IsaAvx2>();
#endif
  (void)isa;
  return lanes_of<T, IsaGeneric>();
}

// Vectors per column block: the count (1..max_nv) that computes the fewest wasted vectors
// past the end of a row, preferring wider blocks on ties.
int pick_nv(int64_t vectors_per_row, int max_nv) {
  int best = 1;
  int64_t best_cost = vectors_per_row;
  for (int nv = 2; nv <= max_nv; ++nv) {
    const int64_t cost = (vectors_per_row + nv - 1) / nv * nv;
    if (cost <= best_cost) best = nv, best_cost = cost;
  }
  return best;
}

}  // namespace

template <typename T>
void direct_corr(Isa isa, const CorrArgs<T>& a) {
  if (a.O <= 0 || a.R <= 0 || a.Cw <= 0) return;
  const int V = vec_lanes<T>(isa);
  // Four output channels share each input load when there are that many; otherwise the
  // tile is made of rows of one channel.
  const bool wide = a.O >= 4;
  const int acc = isa == Isa::avx512 ? IsaAvx512::kAcc : IsaAvx2::kAcc;
  const int nv = pick_nv((a.Cw + V - 1) / V, wide ? std::min(4, acc / 4) : 4);
  CorrFn<T> fn;
  switch (nv * (wide ? 4 : 1)) {
    case 1: fn = corr_entry<T, 1, 1>(isa); break;
    case 2: fn = corr_entry<T, 1, 2>(isa); break;
    case 3: fn = corr_entry<T, 1, 3>(isa); break;
    case 4: fn = wide ? corr_entry<T, 4, 1>(isa) : corr_entry<T, 1, 4>(isa); break;
    case 8: fn = corr_entry<T, 4, 2>(isa); break;
    case 12: fn = corr_entry<T, 4, 3>(isa); break;
    default: fn = corr_entry<T, 4, 4>(isa); break;
  }
  fn(a);
}

template <typename T>
int wgrad_lanes(Isa isa) {
  return vec_lanes<T>(isa);
}

template <typename T>
void direct_wgrad(Isa isa, const WgradArgs<T>& a) {
  if (a.O <= 0 || a.J <= 0) return;
#ifdef NVZ_CONV_X86
  if (isa == Isa::avx512) return wgrad_avx512<T>(a);
  if (isa == Isa::avx2) return wgrad_avx2<T>(a);
#endif
  wgrad_generic<T>(a);
}

template void direct_corr<float>(Isa, const CorrArgs<float>&);
template void direct_corr<double>(Isa, const CorrArgs<double>&);
template int wgrad_lanes<float>(Isa);
template int wgrad_lanes<double>(Isa);
template void direct_wgrad<float>(Isa, const WgradArgs<float>&);
template void direct_wgrad<double>(Isa, const WgradArgs<double>&);

}  // namespace nvz::conv_detail

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
struct IsaGeneric {
  static constexpr int kVecBytes = 16, kAcc = 12;
};  // 16 xmm registers
struct IsaAvx2 {
  static constexpr int kVecBytes = 32, kAcc = 12;
};  // 16 ymm registers
struct IsaAvx512 {
  static constexpr int kVecBytes = 64, kAcc = 24;
};  // 32 zmm registers
struct IsaAvx512Ymm {
  static constexpr int kVecBytes = 32, kAcc = 24;
};  // narrow rows

template <typename T, int V>
struct VecOf {
  typedef T type __attribute__((vector_size(V * sizeof(T))));
};
template <typename T, class Tag>
constexpr int lanes_of() {
  return Tag::kVecBytes / static_cast<int>(sizeof(T));
}

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
constexpr int wgrad_pairs() {
  return Tag::kAcc >= 24 ? 4 : 2;
}

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
  // In the tail vector gy is zero past the row (the caller pads it); x is masked there too,
  // so that an inf read past the row cannot turn 0 * inf into a NaN.
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
          for (int k = 0; k < OB; ++k) gv[k] = load<Vec>(g[k] + full);
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
// Entry points, one per (vector width, tile shape). Internal linkage keeps the ISA copies
// apart. On AVX-512, rows of at most 256 bits use ymm vectors (AVX-512VL still gives 32 of
// them): a zmm would issue the same number of FMAs for half the useful lanes, and its
// unaligned loads would always straddle two cache lines.
// ---------------------------------------------------------------------------------------
enum class Width { generic, avx2, avx512_ymm, avx512_zmm };

template <typename T>
Width width_for(Isa isa, int64_t Cw) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (isa == Isa::avx512)
    return Cw * int64_t(sizeof(T)) <= IsaAvx512Ymm::kVecBytes ? Width::avx512_ymm
                                                              : Width::avx512_zmm;
  if (isa == Isa::avx2) return Width::avx2;
#endif
  (void)isa, (void)Cw;
  return Width::generic;
}

template <typename T>
int lanes_for(Width w) {
  switch (w) {
    case Width::avx512_zmm:
      return lanes_of<T, IsaAvx512>();
    case Width::avx512_ymm:
      return lanes_of<T, IsaAvx512Ymm>();
    case Width::avx2:
      return lanes_of<T, IsaAvx2>();
    default:
      return lanes_of<T, IsaGeneric>();
  }
}

int accumulators_for(Width w) {
  return w == Width::avx512_zmm || w == Width::avx512_ymm ? IsaAvx512::kAcc : IsaAvx2::kAcc;
}

template <typename T>
using CorrFn = void (*)(const CorrArgs<T>&);

template <typename T, int OB, int NV>
void corr_generic(const CorrArgs<T>& a) {
  corr_body<T, IsaGeneric, OB, NV>(a);
}
template <typename T>
void wgrad_generic(const WgradArgs<T>& a) {
  wgrad_body<T, IsaGeneric>(a);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVZ_CONV_X86 1
#define NVZ_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define NVZ_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
template <typename T, int OB, int NV>
NVZ_TARGET_AVX2 void corr_avx2(const CorrArgs<T>& a) {
  corr_body<T, IsaAvx2, OB, NV>(a);
}
template <typename T, int OB, int NV>
NVZ_TARGET_AVX512 void corr_zmm(const CorrArgs<T>& a) {
  corr_body<T, IsaAvx512, OB, NV>(a);
}
template <typename T, int OB>  // a row fits one ymm, so one vector per column block
NVZ_TARGET_AVX512 void corr_ymm(const CorrArgs<T>& a) {
  corr_body<T, IsaAvx512Ymm, OB, 1>(a);
}
template <typename T>
NVZ_TARGET_AVX2 void wgrad_avx2(const WgradArgs<T>& a) {
  wgrad_body<T, IsaAvx2>(a);
}
template <typename T>
NVZ_TARGET_AVX512 void wgrad_zmm(const WgradArgs<T>& a) {
  wgrad_body<T, IsaAvx512>(a);
}
template <typename T>
NVZ_TARGET_AVX512 void wgrad_ymm(const WgradArgs<T>& a) {
  wgrad_body<T, IsaAvx512Ymm>(a);
}
#endif

// The tile shapes compiled for each width: four channels (OB = 4) or one (OB = 1), by NV
// vectors, by as many rows as the accumulator budget allows (corr_rows). 16-register ISAs
// stop at OB * NV = 12; on AVX-512 NV goes up to 6, so that one long row (a flattened
// plane) still fills 24 accumulators without duplicate rows; ymm rows are one vector.
template <typename T, int OB, int NV>
CorrFn<T> corr_entry(Width w) {
#ifdef NVZ_CONV_X86
  if (w == Width::avx512_zmm) return corr_zmm<T, OB, NV>;
  if (w == Width::avx512_ymm) return NV == 1 ? corr_ymm<T, OB> : nullptr;
#endif
  if constexpr (OB * NV <= 12) {
#ifdef NVZ_CONV_X86
    if (w == Width::avx2) return corr_avx2<T, OB, NV>;
#endif
    return corr_generic<T, OB, NV>;
  }
  return nullptr;
}

template <typename T>
CorrFn<T> corr_fn(Width w, int ob, int nv) {
  if (ob == 4) {
    switch (nv) {
      case 1:
        return corr_entry<T, 4, 1>(w);
      case 2:
        return corr_entry<T, 4, 2>(w);
      case 3:
        return corr_entry<T, 4, 3>(w);
      case 4:
        return corr_entry<T, 4, 4>(w);
      case 5:
        return corr_entry<T, 4, 5>(w);
      default:
        return corr_entry<T, 4, 6>(w);
    }
  }
  switch (nv) {
    case 1:
      return corr_entry<T, 1, 1>(w);
    case 2:
      return corr_entry<T, 1, 2>(w);
    case 3:
      return corr_entry<T, 1, 3>(w);
    default:
      return corr_entry<T, 1, 4>(w);
  }
}

// The tile shape for an O x R x Cw output, and the vector FMAs it issues per (input
// channel, tap): the shape that computes the fewest vectors, counting the clamped
// duplicates at the ends of rows and columns, preferring fewer loads (wider tiles) on ties.
struct CorrPlan {
  Width width;
  int ob, nv;
  int64_t cost;
};

template <typename T>
CorrPlan plan_corr(Isa isa, int64_t O, int64_t R, int64_t Cw) {
  const Width width = width_for<T>(isa, Cw);
  const int64_t V = lanes_for<T>(width), acc = accumulators_for(width);
  const int64_t vectors = (Cw + V - 1) / V;
  // Four output channels share each input load when there are at least three (one
  // duplicate costs less than a tile of rows that reloads every input per FMA).
  const int ob = O >= 3 ? 4 : 1;
  // Only the shapes corr_entry compiles for this width (it returns null for the others).
  const int max_nv =
      width == Width::avx512_ymm ? 1 : int(std::min<int64_t>(acc / ob, ob == 4 ? 6 : 4));
  CorrPlan best{width, ob, 1, -1};
  for (int nv = 1; nv <= max_nv; ++nv) {
    const int64_t rb = corr_rows(int(acc), ob, nv);
    const int64_t cost =
        (O + ob - 1) / ob * ob * ((R + rb - 1) / rb * rb) * ((vectors + nv - 1) / nv * nv);
    if (best.cost < 0 || cost <= best.cost) best = {width, ob, nv, cost};
  }
  return best;
}

}  // namespace

template <typename T>
void direct_corr(Isa isa, const CorrArgs<T>& a) {
  if (a.O <= 0 || a.R <= 0 || a.Cw <= 0) return;
  const CorrPlan plan = plan_corr<T>(isa, a.O, a.R, a.Cw);
  corr_fn<T>(plan.width, plan.ob, plan.nv)(a);
}

template <typename T>
int64_t direct_corr_cost(Isa isa, int64_t O, int64_t R, int64_t Cw) {
  return plan_corr<T>(isa, O, R, Cw).cost;
}

template <typename T>
int wgrad_lanes(Isa isa, int64_t Cw) {
  return lanes_for<T>(width_for<T>(isa, Cw));
}

template <typename T>
void direct_wgrad(Isa isa, const WgradArgs<T>& a) {
  if (a.O <= 0 || a.J <= 0) return;
#ifdef NVZ_CONV_X86
  switch (width_for<T>(isa, a.Cw)) {
    case Width::avx512_zmm:
      return wgrad_zmm<T>(a);
    case Width::avx512_ymm:
      return wgrad_ymm<T>(a);
    case Width::avx2:
      return wgrad_avx2<T>(a);
    default:
      break;
  }
#endif
  wgrad_generic<T>(a);
}

template void direct_corr<float>(Isa, const CorrArgs<float>&);
template void direct_corr<double>(Isa, const CorrArgs<double>&);
template int64_t direct_corr_cost<float>(Isa, int64_t, int64_t, int64_t);
template int64_t direct_corr_cost<double>(Isa, int64_t, int64_t, int64_t);
template int wgrad_lanes<float>(Isa, int64_t);
template int wgrad_lanes<double>(Isa, int64_t);
template void direct_wgrad<float>(Isa, const WgradArgs<float>&);
template void direct_wgrad<double>(Isa, const WgradArgs<double>&);

}  // namespace nvz::conv_detail

// Direct convolution kernels (conv_direct.h): the plan (vector width and register tile) in
// baseline code here, the kernels in conv_direct_kernels.inc, compiled once per instruction
// set (common/isa_each.inc) and picked by the ISA the caller passes.
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

// Vector accumulators that fit the register file beside the loads: 12 of 16, 24 of 32.
constexpr int accumulators(Isa isa) {
  return vec_registers(isa) * 3 / 4;
}

// Output rows per register tile: fill the accumulator budget, at most 8 rows.
constexpr int corr_rows(int acc, int ob, int nv) {
  return std::max(1, std::min(8, acc / (ob * nv)));
}

// The vector width (bytes) for rows of Cw columns. On AVX-512, rows of at most 256 bits use
// ymm vectors (AVX-512VL still gives 32 of them): a zmm would issue the same number of FMAs
// for half the useful lanes, and its unaligned loads would always straddle two cache lines.
template <typename T>
int vector_bytes(Isa isa, int64_t Cw) {
  return isa == Isa::avx512 && Cw * int64_t(sizeof(T)) <= 32 ? 32 : vec_bytes(isa);
}

#define NVZ_ISA_BODY "cpu/conv_direct_kernels.inc"
#include "common/isa_each.inc"
#undef NVZ_ISA_BODY

// The tile shape for an O x R x Cw output, and the vector FMAs it issues per (input
// channel, tap): the shape that computes the fewest vectors, counting the clamped
// duplicates at the ends of rows and columns, preferring fewer loads (wider tiles) on ties.
struct CorrPlan {
  int vb;  // vector bytes
  int ob, nv;
  int64_t cost;
};

template <typename T>
CorrPlan plan_corr(Isa isa, int64_t O, int64_t R, int64_t Cw) {
  const int vb = vector_bytes<T>(isa, Cw);
  const int64_t V = vb / int64_t(sizeof(T)), acc = accumulators(isa);
  const int64_t vectors = (Cw + V - 1) / V;
  // Four output channels share each input load when there are at least three (one
  // duplicate costs less than a tile of rows that reloads every input per FMA).
  const int ob = O >= 3 ? 4 : 1;
  // Only the shapes corr_entry compiles for this width (it returns null for the others).
  const int max_nv = vb < vec_bytes(isa) ? 1 : int(std::min<int64_t>(acc / ob, ob == 4 ? 6 : 4));
  CorrPlan best{vb, ob, 1, -1};
  for (int nv = 1; nv <= max_nv; ++nv) {
    const int64_t rb = corr_rows(int(acc), ob, nv);
    const int64_t cost =
        (O + ob - 1) / ob * ob * ((R + rb - 1) / rb * rb) * ((vectors + nv - 1) / nv * nv);
    if (best.cost < 0 || cost <= best.cost) best = {vb, ob, nv, cost};
  }
  return best;
}

}  // namespace

template <typename T>
void direct_corr(Isa isa, const CorrArgs<T>& a) {
  if (a.O <= 0 || a.R <= 0 || a.Cw <= 0) return;
  const CorrPlan plan = plan_corr<T>(isa, a.O, a.R, a.Cw);
  NVZ_ISA_RETURN(isa, corr<T>, plan.vb, plan.ob, plan.nv, a);
}

template <typename T>
int64_t direct_corr_cost(Isa isa, int64_t O, int64_t R, int64_t Cw) {
  return plan_corr<T>(isa, O, R, Cw).cost;
}

template <typename T>
int wgrad_lanes(Isa isa, int64_t Cw) {
  return vector_bytes<T>(isa, Cw) / int(sizeof(T));
}

template <typename T>
void direct_wgrad(Isa isa, const WgradArgs<T>& a) {
  if (a.O <= 0 || a.J <= 0) return;
  NVZ_ISA_RETURN(isa, wgrad<T>, vector_bytes<T>(isa, a.Cw), a);
}

template <typename T>
int wgrad_c_lanes(Isa isa) {
  return vec_bytes(isa) / int(sizeof(T));
}

int wgrad_c_out_block(Isa isa) {
  return accumulators(isa) / 3;  // kWgradCOut: blocks of 3 taps
}

template <typename T>
void direct_wgrad_c(Isa isa, const WgradCArgs<T>& a) {
  if (a.O <= 0 || a.taps <= 0 || a.Cp <= 0 || a.B <= 0 || a.R <= 0 || a.Cw <= 0) return;
  NVZ_ISA_RETURN(isa, wgrad_c<T>, a);
}

template <typename T>
void direct_scatter(Isa isa, const ScatterArgs<T>& a) {
  if (a.O <= 0 || a.J <= 0 || a.run <= 0) return;
  NVZ_ISA_RETURN(isa, scatter<T>, a);
}

template <typename T>
int oc_lanes(Isa isa) {
  return vec_bytes(isa) / int(sizeof(T));
}

// Channel vectors per tile: all of them up to 3 (one weight load each per tap), else the
// largest of 3, 2, 1 that divides them. Columns: 8 where rows are that wide and the
// accumulators hold 8 columns of them, else 4 (more rows).
template <typename T>
void direct_corr_oc(Isa isa, const OcArgs<T>& a) {
  if (a.Op <= 0 || a.R <= 0 || a.Cw <= 0) return;
  const int64_t nvec = a.Op / oc_lanes<T>(isa);
  const int no = nvec <= 3 ? int(nvec) : nvec % 3 == 0 ? 3 : nvec % 2 == 0 ? 2 : 1;
  const int cw = a.Cw >= 8 && no * 8 <= accumulators(isa) ? 8 : 4;
  NVZ_ISA_RETURN(isa, corr_oc<T>, no, cw, a);
}

template <typename T>
int lane_count(Isa isa) {
  return vec_bytes(isa) / int(sizeof(T));
}

template <typename T>
void direct_lanes(Isa isa, const LaneArgs<T>& a) {
  if (a.I <= 0 || a.J <= 0 || a.taps <= 0) return;
  NVZ_ISA_RETURN(isa, lanes<T>, a);
}

template int lane_count<float>(Isa);
template int lane_count<double>(Isa);
template void direct_lanes<float>(Isa, const LaneArgs<float>&);
template void direct_lanes<double>(Isa, const LaneArgs<double>&);
template int oc_lanes<float>(Isa);
template int oc_lanes<double>(Isa);
template void direct_corr_oc<float>(Isa, const OcArgs<float>&);
template void direct_corr_oc<double>(Isa, const OcArgs<double>&);
template void direct_corr<float>(Isa, const CorrArgs<float>&);
template void direct_corr<double>(Isa, const CorrArgs<double>&);
template int64_t direct_corr_cost<float>(Isa, int64_t, int64_t, int64_t);
template int64_t direct_corr_cost<double>(Isa, int64_t, int64_t, int64_t);
template int wgrad_lanes<float>(Isa, int64_t);
template int wgrad_lanes<double>(Isa, int64_t);
template void direct_wgrad<float>(Isa, const WgradArgs<float>&);
template void direct_wgrad<double>(Isa, const WgradArgs<double>&);
template int wgrad_c_lanes<float>(Isa);
template int wgrad_c_lanes<double>(Isa);
template void direct_wgrad_c<float>(Isa, const WgradCArgs<float>&);
template void direct_wgrad_c<double>(Isa, const WgradCArgs<double>&);
template void direct_scatter<float>(Isa, const ScatterArgs<float>&);
template void direct_scatter<double>(Isa, const ScatterArgs<double>&);

}  // namespace nvz::conv_detail

// Direct (im2col-free) convolution kernels for conv.cpp, vectorised along image rows.
//
// Two primitives cover the forward pass, the input gradient and the weight gradient of a
// convolution whose horizontal stride is 1 (conv.cpp explains which pass uses which):
//
//   direct_corr   out[o][r][c] = bias[o] + sum_{i, t} wt[o][i][t] * in[i][r*in_rs + off[t] + c]
//   direct_wgrad  part[o][j][l] += sum_{b, r, c = l mod L} gy[b][o][r][c]
//                                                   * in[b][r*in_rs + off[j] + c]
//
// `in` is a zero-padded copy made by the caller, so the kernels need no bounds checks: the
// padding and the tap offsets `off` (row * row_stride + column, in elements) encode the
// geometry. Each kernel is compiled once per instruction set from one templated body.
#pragma once
#include <cstdint>

#include "common/isa.h"

namespace nvz::conv_detail {

// The last column block of a row is computed at full register-tile width, so an input
// buffer of direct_corr must have this many readable, finite elements past its end.
constexpr int64_t kOverread = 64;

template <typename T>
struct CorrArgs {
  const T* in;              // input planes, I of them, in_ps elements apart
  int64_t I, in_ps, in_rs;  // in_rs: elements between consecutive output rows (stride * width)
  const int64_t* off;       // taps offsets (in elements) from an output position's origin
  int64_t taps;
  const int64_t* row_taps;  // null, or per output row r the taps [row_taps[2r], row_taps[2r+1])
                            // that can read non-zero input; the others are skipped
  const T* wt;              // (O, I, taps)
  const T* bias;            // (O) or null
  T* out;                   // O planes of R rows by Cw columns; overwritten
  int64_t O, R, Cw, out_ps, out_rs;
};

template <typename T>
void direct_corr(Isa isa, const CorrArgs<T>& a);

// Vector FMAs direct_corr issues per (input channel, tap) for an O x R x Cw output, counting
// the lanes and tile rows it computes past the ends; lets callers compare layouts.
template <typename T>
int64_t direct_corr_cost(Isa isa, int64_t O, int64_t R, int64_t Cw);

// direct_corr_oc  out[p][o] = bias[o] + sum_{i, t} wt[i][t][o] * in[i][r*in_rs + off[t] + c]
// for output positions p = r*Cw + c: the same correlation vectorised along the output
// channels instead of the row (oneDNN's direct kernels, on NCHW input): per tap it loads
// one weight vector per block of channels and broadcasts one input value per output position
// of a register tile of rows x columns, so no lane is wasted on short rows. Channels are
// padded to a multiple of the vector lanes (wt and bias zero there); the caller transposes
// out to (O, R, Cw). Unit horizontal stride only.
template <typename T>
struct OcArgs {
  const T* in;              // input planes, I of them, in_ps elements apart
  int64_t I, in_ps, in_rs;  // in_rs: elements between consecutive output rows
  const int64_t* off;       // taps offsets (in elements) from an output position's origin
  int64_t taps;
  const T* wt;    // (I, taps, Op), zero past O
  const T* bias;  // (Op), zero past O, or null
  T* out;         // (R * Cw, Op); overwritten
  int64_t Op, R, Cw;
};

// Vector lanes of direct_corr_oc (Op must be a multiple of them).
template <typename T>
int oc_lanes(Isa isa);

template <typename T>
void direct_corr_oc(Isa isa, const OcArgs<T>& a);

template <typename T>
struct WgradArgs {
  int64_t B;    // images, summed over
  const T* gy;  // per image O planes of R rows by Cw columns; each row must be
  int64_t gy_is, O, R, Cw, gy_ps, gy_rs;  // readable and zero up to a multiple of the lanes
  const T* in;  // zero-padded inputs; readable kOverread elements past the end
  int64_t in_is, in_rs;
  const int64_t* off;  // J offsets: (input channel, tap) pairs
  int64_t J;
  T* part;  // (O, J, wgrad_lanes) partial sums, accumulated into
};

// Lanes L of the vectors direct_wgrad uses for rows of Cw columns: the partial sums have
// L lanes, and gy rows must be padded with zeros to a multiple of L.
template <typename T>
int wgrad_lanes(Isa isa, int64_t Cw);

template <typename T>
void direct_wgrad(Isa isa, const WgradArgs<T>& a);

// direct_wgrad_c  part[o][t][c] += sum_{b, r, col} gy[b][o][r][col]
//                                              * in[b][r*in_rs + col*Cp + off[t] + c]
// The weight gradient vectorised along the input channels instead of the row: `in` is the
// zero-padded input with the channels last (rows of pixels, each Cp channels, Cp a multiple
// of the vector lanes, zero past C), so that every load of it is one aligned vector, and
// each gy value is broadcast. A block of NO output channels x NT taps of accumulators sums
// over a tile of rows with no lane reduction at the end: per pixel NT loads and NO
// broadcasts for NO*NT FMAs (AVX-512: 3 + 8 for 24). It is im2col + GEMM with the im2col
// read in place: gW^T (taps*C, O) = col (taps*C, pixels) gY^T. The sums run in a fixed
// order (tiles, then pixels in order), whatever the thread.
template <typename T>
struct WgradCArgs {
  int64_t B;    // images, summed over
  const T* gy;  // per image O planes of R rows by Cw columns
  int64_t gy_is, O, R, Cw, gy_ps, gy_rs;
  const T* in;  // per image (rows, columns, Cp), 64-byte aligned; in_rs: elements between
  int64_t in_is, in_rs, Cp;  // consecutive output rows (vertical stride * padded width * Cp)
  const int64_t* off;        // taps offsets (elements) from an output position's origin
  int64_t taps;
  T* part;  // (O, taps, Cp) partial sums, accumulated into
};

// Vector lanes of direct_wgrad_c (Cp must be a multiple of them).
template <typename T>
int wgrad_c_lanes(Isa isa);

// Output channels per block of direct_wgrad_c; O must be at least this.
int wgrad_c_out_block(Isa isa);

template <typename T>
void direct_wgrad_c(Isa isa, const WgradCArgs<T>& a);

// direct_scatter  out[outoff[j] + i] += sum_o w[o][j] * gy[o][i]   for i < run, j < J
// The adjoint of direct_corr's flattened form, for grad x at stride 1: gy's rows sit in
// flat runs (rows the padded input's width apart, zeros between them), j runs over the
// (input channel, tap) pairs and outoff[j] is that tap's place in the zero-padded planes of
// grad x. It is W^T gY followed by the scatter-add of its rows, fused: a tile of JB pairs by
// NV vectors of the run sums over o in registers and is added to `out` once, so no
// (C*taps, run) matrix is written and read back. Pairs are added in order, each pair's
// run from left to right: the sums do not depend on the tile or the thread.
template <typename T>
struct ScatterArgs {
  const T* gy;            // O runs, gy_ps elements apart; the last readable
  int64_t O, gy_ps, run;  // kScatterOverread elements past its run
  const T* w;             // (O, J)
  int64_t J;
  const int64_t* outoff;  // J offsets into out
  T* out;                 // accumulated into; readable kScatterOverread past its last run
};

// Elements past a run that direct_scatter may read (never write).
constexpr int64_t kScatterOverread = 128;

template <typename T>
void direct_scatter(Isa isa, const ScatterArgs<T>& a);

// direct_lanes  out[j][q] = bias[j] + sum_{i, t} wt[i][t][j] * in[i][src[t][q]]
// for maps that fit one vector (issue 22: 4x4 maps, 16 float lanes on AVX-512): each input
// plane is one vector, and each tap's gather of it (shifted, zeros where the tap reads
// padding) is one in-register permutation, so every lane of every FMA is an output pixel
// and nothing is copied, padded or transposed. A block of output planes sums in registers
// over (i, t) in order: the sums do not depend on the block or the thread.
template <typename T>
struct LaneIdx;  // lane indices of T's size, as the permutation takes them
template <>
struct LaneIdx<float> {
  using type = int32_t;
};
template <>
struct LaneIdx<double> {
  using type = int64_t;
};

template <typename T>
struct LaneArgs {
  const T* in;                           // I input planes of in_size (<= lanes) elements,
  int64_t I, in_ps, in_size;             // in_ps apart
  const typename LaneIdx<T>::type* src;  // (taps, lanes): the element of an input plane for
  int64_t taps;                          // each output lane, or `lanes` for zero
  const T* wt;                           // (I, taps, J)
  const T* bias;                         // (J) or null
  T* out;                                // J output planes of out_size (<= lanes) elements,
  int64_t J, out_ps, out_size;           // out_ps apart; overwritten
};

// Vector lanes of direct_lanes: in_size and out_size must be at most this.
template <typename T>
int lane_count(Isa isa);

template <typename T>
void direct_lanes(Isa isa, const LaneArgs<T>& a);

}  // namespace nvz::conv_detail

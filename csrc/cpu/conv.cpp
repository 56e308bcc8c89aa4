// 2-D convolution (conv.h): forward, and the gradients of the input, weights and bias.
//
// Two strategies, picked per pass (research/kernels.md §2):
//
//  * Direct (conv_direct.h), when the horizontal stride is 1 and the layer is not large in
//    both its patch and its output channels (gemm_sized). Each image is copied into a
//    zero-padded buffer and the output is computed straight from it, vectorised along
//    output rows: no im2col matrix (KH*KW times the input), no layout change, and no
//    padding of 1-channel inputs to a vector of channels. It serves
//      forward   y_n = corr(x_n, w) + b
//      grad x    gx_n = corr(pad(gy_n), w rotated 180 degrees, channels swapped)
//                (the transposed convolution; stride 1 only, see input_grad_path), or,
//                where most of that would be padding, the scatter of W^T gY_n's rows
//                into gx_n fused in one kernel (input_grad_flat, direct_scatter)
//      grad w    gw[o][c][t] = sum_n sum_p gy_n[o][p] * x_n[c][p + offset(t)]
//                vectorised along the input channels where they fill vectors (a channels-
//                last copy of x_n, weight_grad_direct_c), else along the rows
//    Rows narrower than a vector are computed as one flattened row (flatten_rows).
//  * Small maps (issue 22): where an input and an output plane each fit one vector
//    (16 float pixels on AVX-512: 4x4), the forward and grad x permute each plane in
//    registers per tap (direct_lanes: forward_lanes, input_grad_lanes); grad x of maps a
//    little larger may run as the channel-vectorised forward of the transposed convolution
//    (input_grad_oc), and grad w with direct_wgrad_c's roles swapped (weight_grad_direct_t,
//    vectorised along the output channels) or with the input channels padded to vectors.
//  * im2col + GEMM otherwise (strided or large layers). Per image, col_n (C*KH*KW, OH*OW)
//    holds the receptive fields, and
//      forward   y_n  = W (OC, C*KH*KW) col_n
//      grad w    gW  += gY_n col_n^T
//      grad x    gx_n = col2im(W^T gY_n)   (col2im is a scatter-add)
//    A 1x1 kernel with stride 1 and no padding needs no im2col at all: col_n is x_n.
//
// The bias gradient is the row sum of gy (on the direct path summed with the weight
// gradient, while gy is in cache). Images are spread over threads when the work is large
// enough; weight and bias gradients then go to per-thread buffers that are summed at the
// end in thread order (the same result on every run; the forward and grad x, computed
// image by image, are also the same for any thread count). Per-thread scratch is zeroed
// by its own thread (ThreadScratch), and the final sums are split over the threads too,
// so that little runs on one thread alone. With threads, grad w and grad x of the direct
// paths share one parallel region (run_backward): no join between the two passes.
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/aligned_buffer.h"
#include "common/check.h"
#include "common/cpu_features.h"
#include "common/parallel.h"
#include "conv_direct.h"
#include "gemm.h"
#include "im2col.h"

namespace nvz {
namespace {

using detail::col2im;
using detail::ColRange;
using detail::im2col;
using detail::sum;
using detail::valid_columns;

using conv_detail::CorrArgs;
using conv_detail::kOverread;
using conv_detail::WgradArgs;

// ---------------------------------------------------------------------------------------
// Shape checks and small helpers
// ---------------------------------------------------------------------------------------

// Re-checks what the kernels rely on, for C++ callers that skip neuralviz/ops.py.
void check_shape(const Conv2dShape& s, const char* fn) {
  NVZ_CHECK(s.N >= 0 && s.C >= 1 && s.H >= 1 && s.W >= 1, fn,
            ": x must have N >= 0 and positive C, H, W, got (", s.N, ", ", s.C, ", ", s.H, ", ",
            s.W, ")");
  NVZ_CHECK(s.OC >= 1 && s.KH >= 1 && s.KW >= 1, fn, ": w must have positive sizes, got (", s.OC,
            ", ", s.C, ", ", s.KH, ", ", s.KW, ")");
  NVZ_CHECK(s.SH >= 1 && s.SW >= 1, fn, ": stride must be >= 1, got (", s.SH, ", ", s.SW, ")");
  NVZ_CHECK(s.PH >= 0 && s.PW >= 0, fn, ": padding must be >= 0, got (", s.PH, ", ", s.PW, ")");
  NVZ_CHECK(s.DH >= 1 && s.DW >= 1, fn, ": dilation must be >= 1, got (", s.DH, ", ", s.DW, ")");
  const int64_t eh = s.H + 2 * s.PH - s.DH * (s.KH - 1) - 1;
  const int64_t ew = s.W + 2 * s.PW - s.DW * (s.KW - 1) - 1;
  NVZ_CHECK(eh >= 0 && ew >= 0, fn, ": the kernel (", s.KH, ", ", s.KW, ") with dilation (", s.DH,
            ", ", s.DW, ") is larger than the padded input (", s.H + 2 * s.PH, ", ", s.W + 2 * s.PW,
            ")");
  NVZ_CHECK(s.OH == eh / s.SH + 1 && s.OW == ew / s.SW + 1, fn, ": output size (", s.OH, ", ", s.OW,
            ") should be (", eh / s.SH + 1, ", ", ew / s.SW + 1, ")");
}

int64_t taps(const Conv2dShape& s) {
  return s.KH * s.KW;
}
int64_t patch(const Conv2dShape& s) {
  return s.C * s.KH * s.KW;
}  // rows of col
int64_t pixels(const Conv2dShape& s) {
  return s.OH * s.OW;
}  // columns of col

// 1x1 kernel, stride 1, no padding: col_n would be a copy of x_n.
bool pointwise(const Conv2dShape& s) {
  return s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PH == 0 && s.PW == 0;
}

// The direct kernels re-read the input once per block of 4 output channels and reuse each
// load only a few times. When the patch (C*KH*KW) and the output channels are both large,
// im2col + GEMM, whose register tiles reuse loads more and whose cache blocking keeps the
// operands close, is faster: measured on AVX-512 from 32->64 channels, 3x3 on 16x16 up.
bool gemm_sized(const Conv2dShape& s) {
  return patch(s) >= 256 && s.OC >= 64;
}

// Forward and grad w: the direct kernels need unit horizontal stride.
bool direct_ok(const Conv2dShape& s) {
  return s.SW == 1 && !gemm_sized(s);
}

// How grad x is computed. The direct kernel correlates the zero-padded gy over all H*W
// outputs and (up to the skipped all-padding kernel rows) all taps, while only
// OH*OW*taps products per channel pair are useful; the flat scatter (input_grad_flat) does
// only those, over rows Wp wide instead of OW, but adds every tap's sums to memory. It wins
// where a quarter or more of the direct kernel's work is padding: measured, AVX-512 and
// AVX2, on benchmark (b) (8x8 outputs, 12x12 inputs, 5x5 taps: 0.41x resp. 0.88x the
// direct time) and (a) (24x24 of 28x28: 0.81x resp. 1.0x); at 'same' padding (c), (d) the
// direct kernel is faster (1.05x, 1.07x; the scatter's adds go to L2 on (d)).
enum class GradX { im2col, flat, direct, oc, lanes };

GradX input_grad_path(const Conv2dShape& s) {
  if (s.SH != 1 || !direct_ok(s)) return GradX::im2col;
  return 4 * pixels(s) < 3 * s.H * s.W ? GradX::flat : GradX::direct;
}

// Threads for a pass of `work` multiply-adds over N independent images; small calls stay
// serial (kMinBatchWorkPerThread).
int image_threads(const Conv2dShape& s, int64_t work) {
  return static_cast<int>(
      std::min<int64_t>(threads_for(work, kMinBatchWorkPerThread), std::max<int64_t>(s.N, 1)));
}

// body(i, thread) for every task i (an image, or a chunk of images); threads only when
// nt > 1. The body must not throw. Tasks whose results do not depend on which thread runs
// them (balanced) are handed out one at a time, so that on a busy machine a thread that is
// descheduled for a while does not hold up the other at the join; passes that sum into
// per-thread buffers (the weight gradients) keep the static split, so that their sums are
// the same on every run.
template <typename F>
void for_each_task(int64_t N, int nt, bool balanced, const F& body) {
#ifdef _OPENMP
  if (nt > 1 && balanced) {
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (int64_t n = 0; n < N; ++n) body(n, omp_get_thread_num());
    return;
  }
  if (nt > 1) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t n = 0; n < N; ++n) body(n, omp_get_thread_num());
    return;
  }
#endif
  (void)nt, (void)balanced;
  for (int64_t n = 0; n < N; ++n) body(n, 0);
}

// How a weight gradient pass runs its two phases: `tasks` chunks of images summed into
// per-thread parts (static split: the same sums on every run), then `finishes` tasks that
// sum the parts in thread order. SeparatePhases runs each as its own parallel loop;
// conv2d_backward's fused runner (run_backward) overlaps the first phase with grad x.
struct SeparatePhases {
  int nt;
  template <typename Task, typename Finish>
  void operator()(int64_t tasks, const Task& task, int64_t finishes, const Finish& finish) const {
    for_each_task(tasks, nt, false, task);
    for_each_task(finishes, nt, false, finish);
  }
};

// How a grad x pass runs its images: one balanced parallel loop by default.
struct ImageLoop {
  int nt;
  template <typename Task>
  void operator()(int64_t images, const Task& task) const {
    for_each_task(images, nt, true, task);
  }
};

// grad w's chunks and grad x's images in one parallel region: each thread takes its static
// share of grad w's chunks (the same split as for_each_task's, so the same sums), then grad
// x's images one at a time (dynamic) as it comes free, so that the thread that finishes its
// grad w share first does more of grad x instead of waiting at a join between the passes.
// grad w's final sums follow a barrier. Only for passes whose tasks open no parallel region
// of their own (the direct kernels; the GEMM paths' tasks call gemm).
template <typename WTask, typename WFinish, typename XTask>
void run_backward(int nt, int64_t wtasks, const WTask& wtask, int64_t wfinishes,
                  const WFinish& wfinish, int64_t xtasks, const XTask& xtask) {
#ifdef _OPENMP
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    {
      const int tid = omp_get_thread_num();
#pragma omp for schedule(static) nowait
      for (int64_t i = 0; i < wtasks; ++i) wtask(i, tid);
#pragma omp for schedule(dynamic) nowait
      for (int64_t i = 0; i < xtasks; ++i) xtask(i, tid);
#pragma omp barrier
#pragma omp for schedule(static)
      for (int64_t i = 0; i < wfinishes; ++i) wfinish(i, tid);
    }
    return;
  }
#endif
  for (int64_t i = 0; i < wtasks; ++i) wtask(i, 0);
  for (int64_t i = 0; i < xtasks; ++i) xtask(i, 0);
  for (int64_t i = 0; i < wfinishes; ++i) wfinish(i, 0);
}

// One zeroed scratch buffer of `size` elements per thread, each zeroed by its own thread on
// first use: the zeroing (and the first touch of fresh pages) runs in parallel, not before
// the threads start. Threads write only their own flag. Cache-line aligned.
template <typename T>
class ThreadScratch {
 public:
  ThreadScratch(int nt, int64_t size) : size_(size), data_(nt * size), used_(nt, 0) {}
  T* get(int tid) {
    T* p = data_.data() + tid * size_;
    if (!used_[tid]) std::fill(p, p + size_, T(0)), used_[tid] = 1;
    return p;
  }
  // Null for a thread that ran no task (its buffer would be all zeros).
  const T* used(int tid) const { return used_[tid] ? data_.data() + tid * size_ : nullptr; }
  // Element i summed over the threads' buffers in thread order (the same bits on every run).
  T sum(int64_t i) const {
    T acc = 0;
    for (int tid = 0; tid < int(used_.size()); ++tid)
      if (const T* p = used(tid)) acc += p[i];
    return acc;
  }

 private:
  int64_t size_;
  AlignedBuffer<T> data_;
  std::vector<char> used_;
};

// Copies planes (P, H, W) into the interior of zero-bordered planes (P, Hb, Wb) at row
// `top`, column `left`. The border is never written, so it stays zero across images.
template <typename T>
void copy_into_padded(const T* src, int64_t P, int64_t H, int64_t W, T* dst, int64_t Hb, int64_t Wb,
                      int64_t top, int64_t left) {
  for (int64_t p = 0; p < P; ++p)
    for (int64_t h = 0; h < H; ++h)
      std::memcpy(dst + (p * Hb + top + h) * Wb + left, src + (p * H + h) * W, W * sizeof(T));
}

// Rows narrower than a vector leave lanes idle. When consecutive output rows read input
// rows exactly `rs` elements apart (vertical stride 1), the R x Cw output can instead be
// computed as one long row of (R - 1) * rs + Cw columns, into a scratch plane whose rows
// are rs apart: the rs - Cw columns between rows are junk that unflatten() drops. Worth it
// when the kernel then computes clearly fewer vectors (AVX-512 on 8x8 or 12x12 images).
template <typename T>
bool flatten_rows(Isa isa, int64_t O, int64_t R, int64_t Cw, int64_t rs) {
  if (R == 1) return false;
  const int64_t flat = conv_detail::direct_corr_cost<T>(isa, O, 1, (R - 1) * rs + Cw);
  return 5 * flat < 4 * conv_detail::direct_corr_cost<T>(isa, O, R, Cw);
}

// dst (P, R, Cw) <- the first Cw columns of the rows of src (P planes of R rows, rs apart).
template <typename T>
void unflatten(const T* src, int64_t P, int64_t R, int64_t rs, int64_t Cw, T* dst) {
  for (int64_t p = 0; p < P; ++p)
    for (int64_t r = 0; r < R; ++r)
      std::memcpy(dst + (p * R + r) * Cw, src + (p * R + r) * rs, Cw * sizeof(T));
}

// Offset of tap (kh, kw) from an output position's origin in a padded plane of width Wb.
std::vector<int64_t> tap_offsets(const Conv2dShape& s, int64_t Wb) {
  std::vector<int64_t> off(taps(s));
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw) off[kh * s.KW + kw] = kh * s.DH * Wb + kw * s.DW;
  return off;
}

// a / b rounded up, for any sign of a and b > 0.
int64_t ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -(-a / b);
}

// For each of R output rows r, the taps [kh_lo*KW, kh_hi*KW) (kernel rows kh_lo..kh_hi-1)
// whose input row r*step + base + kh*DH falls inside the rows [lo, hi) of a padded buffer
// that are not zero padding; direct_corr skips the others.
std::vector<int64_t> row_tap_ranges(const Conv2dShape& s, int64_t R, int64_t step, int64_t base,
                                    int64_t lo, int64_t hi) {
  std::vector<int64_t> ranges(2 * R);
  for (int64_t r = 0; r < R; ++r) {
    const int64_t first = r * step + base;  // the input row of kernel row 0
    const int64_t kh_lo = std::clamp<int64_t>(ceil_div(lo - first, s.DH), 0, s.KH);
    const int64_t kh_hi = std::clamp<int64_t>(ceil_div(hi - first, s.DH), kh_lo, s.KH);
    ranges[2 * r] = kh_lo * s.KW;
    ranges[2 * r + 1] = kh_hi * s.KW;
  }
  return ranges;
}

// ---------------------------------------------------------------------------------------
// Forward
// ---------------------------------------------------------------------------------------

template <typename T>
void forward_direct(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* w, const T* b,
                    T* y) {
  const int64_t Hp = s.H + 2 * s.PH, Wp = s.W + 2 * s.PW, plane = Hp * Wp, P = pixels(s);
  const int64_t buf = s.C * plane + kOverread;
  const bool flat = s.SH == 1 && flatten_rows<T>(isa, s.OC, s.OH, s.OW, Wp);
  const int64_t out = flat ? s.OC * s.OH * Wp : 0;
  ThreadScratch<T> padded(nt, buf);
  std::vector<T> flat_out(nt * out);
  const std::vector<int64_t> off = tap_offsets(s, Wp);
  const std::vector<int64_t> rows = row_tap_ranges(s, s.OH, s.SH, 0, s.PH, s.PH + s.H);
  for_each_task(s.N, nt, true, [&](int64_t n, int tid) {
    T* xp = padded.get(tid);
    copy_into_padded(x + n * s.C * s.H * s.W, s.C, s.H, s.W, xp, Hp, Wp, s.PH, s.PW);
    T* yn = y + n * s.OC * P;
    if (flat) {
      T* yf = flat_out.data() + tid * out;
      const CorrArgs<T> a{xp,
                          s.C,
                          plane,
                          Wp,
                          off.data(),
                          taps(s),
                          nullptr,
                          w,
                          b,
                          yf,
                          s.OC,
                          1,
                          (s.OH - 1) * Wp + s.OW,
                          s.OH * Wp,
                          0};
      conv_detail::direct_corr(isa, a);
      unflatten(yf, s.OC, s.OH, Wp, s.OW, yn);
    } else {
      const CorrArgs<T> a{xp, s.C, plane, s.SH * Wp, off.data(), taps(s), rows.data(), w,
                          b,  yn,  s.OC,  s.OH,      s.OW,       P,       s.OW};
      conv_detail::direct_corr(isa, a);
    }
  });
}

// The forward vectorised along output channels (forward_oc) fills every lane where rows are
// shorter than a vector (8x8 outputs on AVX-512) and the channels are whole vectors: 0.82x
// the time of the row-vectorised kernel on benchmark (b), 8->16 channels, 5x5 taps, 8x8
// outputs. Elsewhere, and on AVX2 (16 registers: fewer accumulators per weight load), the
// row-vectorised kernel is faster (all measured).
template <typename T>
bool forward_by_channels(const Conv2dShape& s, Isa isa) {
  const int64_t V = conv_detail::oc_lanes<T>(isa);
  return isa == Isa::avx512 && s.OC % V == 0 && s.OW < V;
}

// Forward vectorised along the output channels (conv_direct.h's direct_corr_oc), into a
// per-thread (pixels, channels) tile that is then transposed into y_n. Also grad x's kernel
// for small maps (input_grad_oc), which passes the fused backward's image loop.
template <typename T, typename Loop>
void forward_oc(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* w, const T* b, T* y,
                const Loop& each_image) {
  const int64_t Hp = s.H + 2 * s.PH, Wp = s.W + 2 * s.PW, plane = Hp * Wp, P = pixels(s);
  const int64_t V = conv_detail::oc_lanes<T>(isa), Op = (s.OC + V - 1) / V * V, KK = taps(s);
  // Without padding the kernel can read x_n itself: its tiles (at most 8 columns wide) end
  // at the end of a row at least that wide, so it reads nothing past the image.
  const bool in_place = s.PH == 0 && s.PW == 0 && s.OW >= 8;
  const int64_t buf = in_place ? 0 : s.C * plane + kOverread;
  ThreadScratch<T> padded(nt, buf);
  std::vector<T> tiles(nt * P * Op), wt(s.C * KK * Op, T(0));
  std::vector<T> bias(b ? Op : 0, T(0));
  for (int64_t o = 0; o < s.OC; ++o) {
    if (b) bias[o] = b[o];
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t t = 0; t < KK; ++t) wt[(c * KK + t) * Op + o] = w[(o * s.C + c) * KK + t];
  }
  const std::vector<int64_t> off = tap_offsets(s, Wp);
  each_image(s.N, [&](int64_t n, int tid) {
    const T* xn = x + n * s.C * s.H * s.W;
    T* xp = in_place ? nullptr : padded.get(tid);
    if (!in_place) copy_into_padded(xn, s.C, s.H, s.W, xp, Hp, Wp, s.PH, s.PW);
    T* tile = tiles.data() + tid * P * Op;
    const conv_detail::OcArgs<T> a{
        in_place ? xn : xp,        s.C,  plane, s.SH * Wp, off.data(), KK, wt.data(),
        b ? bias.data() : nullptr, tile, Op,    s.OH,      s.OW};
    conv_detail::direct_corr_oc(isa, a);
    T* yn = y + n * s.OC * P;
    for (int64_t o = 0; o < s.OC; ++o)
      for (int64_t p = 0; p < P; ++p) yn[o * P + p] = tile[p * Op + o];
  });
}

// Forward on maps of at most one vector of pixels, input and output (conv_direct.h's
// direct_lanes; any stride): one vector FMA per (x channel, tap, output channel), where the
// other kernels issue at least as many. The digits CNN's c2 (4x4, 8->16 channels): 16
// against forward_oc's 16 per (x channel, tap), but with no padded copy or transpose:
// measured 0.63x forward_oc's time (AVX-512, batch 32).
template <typename T>
bool forward_by_lanes(const Conv2dShape& s, Isa isa) {
  const int64_t V = conv_detail::lane_count<T>(isa);
  if (s.H * s.W > V || pixels(s) > V) return false;
  if (!direct_ok(s)) return true;  // im2col + GEMM: as many FMAs, plus im2col
  if (forward_by_channels<T>(s, isa)) {
    const int64_t cw = s.OW >= 8 ? 8 : 4;
    return s.OC <= s.OH * ((s.OW + cw - 1) / cw * cw) * ((s.OC + V - 1) / V);
  }
  const int64_t Wp = s.W + 2 * s.PW;
  int64_t best = conv_detail::direct_corr_cost<T>(isa, s.OC, s.OH, s.OW);
  if (s.SH == 1)
    best = std::min(best, conv_detail::direct_corr_cost<T>(isa, s.OC, 1, (s.OH - 1) * Wp + s.OW));
  return s.OC <= best;
}

template <typename T>
void forward_lanes(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* w, const T* b,
                   T* y) {
  const int64_t V = conv_detail::lane_count<T>(isa), KK = taps(s), P = pixels(s);
  // For tap (kh, kw) and output pixel (oh, ow), the x pixel it reads, or V (zero, padding).
  std::vector<typename conv_detail::LaneIdx<T>::type> src(KK * V, V);
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw)
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          const int64_t ih = oh * s.SH + kh * s.DH - s.PH, iw = ow * s.SW + kw * s.DW - s.PW;
          if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
            src[(kh * s.KW + kw) * V + oh * s.OW + ow] = ih * s.W + iw;
        }
  std::vector<T> wt(s.C * KK * s.OC);  // (C, taps, OC)
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t t = 0; t < KK; ++t) wt[(c * KK + t) * s.OC + o] = w[(o * s.C + c) * KK + t];
  const int64_t X = s.C * s.H * s.W;
  for_each_task(s.N, nt, true, [&](int64_t n, int) {
    const conv_detail::LaneArgs<T> a{x + n * X, s.C, s.H * s.W,        s.H * s.W, src.data(), KK,
                                     wt.data(), b,   y + n * s.OC * P, s.OC,      P,          P};
    conv_detail::direct_lanes(isa, a);
  });
}

template <typename T>
void forward_im2col(const Conv2dShape& s, int nt, const T* x, const T* w, const T* b, T* y) {
  const int64_t K = patch(s), P = pixels(s);
  const bool plain = pointwise(s);
  std::vector<T> scratch(plain ? 0 : nt * K * P);
  const std::vector<ColRange> cols = valid_columns(s);
  for_each_task(s.N, nt, true, [&](int64_t n, int tid) {
    const T* xn = x + n * s.C * s.H * s.W;
    T* col = scratch.data() + tid * K * P;
    if (!plain) im2col(s, cols, xn, col, pixels(s));
    T* yn = y + n * s.OC * P;
    if (b)
      for (int64_t o = 0; o < s.OC; ++o) std::fill(yn + o * P, yn + (o + 1) * P, b[o]);
    gemm<T>(false, false, s.OC, P, K, T(1), w, K, plain ? xn : col, P, b ? T(1) : T(0), yn, P);
  });
}

// ---------------------------------------------------------------------------------------
// Backward
// ---------------------------------------------------------------------------------------

// Channels split over threads: each sum runs in the same order whatever the thread count.
template <typename T>
void bias_grad(const Conv2dShape& s, int nt, const T* gy, T* gb) {
  const int64_t P = pixels(s);
  for_each_task(s.OC, std::min<int64_t>(nt, s.OC), false, [&](int64_t o, int) {
    T acc = 0;
    for (int64_t n = 0; n < s.N; ++n) acc += sum(gy + (n * s.OC + o) * P, P);
    gb[o] = acc;
  });
}

// Images per direct_wgrad call: enough that small images amortise the per-call work
// (loading and storing the partial sums), few enough that the chunk's padded inputs and
// gradients stay in L2, and no more than a thread's share of the batch.
int64_t wgrad_chunk(const Conv2dShape& s, int64_t image_bytes, int nt) {
  constexpr int64_t kChunkBytes = 128 << 10;
  const int64_t share = (s.N + nt - 1) / nt;
  return std::max<int64_t>(1, std::min(share, kChunkBytes / image_bytes));
}

// Adds the bias gradient of images [n0, n0 + nb) (gy's row sums) into bp: the direct weight
// gradients sum it per chunk, while the chunk's gy is still in cache.
template <typename T>
void add_bias_grad(const Conv2dShape& s, const T* gy, int64_t n0, int64_t nb, T* bp) {
  const int64_t P = pixels(s);
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t n = n0; n < n0 + nb; ++n) bp[o] += sum(gy + (n * s.OC + o) * P, P);
}

// gb, when not null, is summed here too (bias_grad's sums, per thread), while each chunk's
// gy is still in cache: on benchmark (d) a separate pass reads 4 MB of gy from memory again.
template <typename T, typename Phases>
void weight_grad_direct(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* gy, T* gw,
                        T* gb, const Phases& run) {
  const int64_t Hp = s.H + 2 * s.PH, Wp = s.W + 2 * s.PW, plane = Hp * Wp;
  const int64_t image = s.C * plane, P = pixels(s);
  // gy rows are read in whole vectors: pad them with zeros when OW is not a multiple.
  const int64_t L = conv_detail::wgrad_lanes<T>(isa, s.OW);
  const int64_t OWr = (s.OW + L - 1) / L * L, gy_image = s.OC * s.OH * OWr;
  const bool pad_gy = OWr != s.OW;
  const int64_t B = wgrad_chunk(s, (image + gy_image) * sizeof(T), nt);
  const int64_t xbuf = B * image + kOverread, gybuf = pad_gy ? B * gy_image : 0;
  const int64_t J = patch(s), part = s.OC * J * L;
  ThreadScratch<T> padded(nt, xbuf), gy_padded(nt, gybuf), parts(nt, part);
  ThreadScratch<T> bias_parts(nt, gb ? s.OC : 0);
  std::vector<int64_t> off(J);
  const std::vector<int64_t> tap = tap_offsets(s, Wp);
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t t = 0; t < taps(s); ++t) off[c * taps(s) + t] = c * plane + tap[t];
  const int64_t chunks = (s.N + B - 1) / B;
  const auto task = [&](int64_t chunk, int tid) {
    const int64_t n0 = chunk * B, nb = std::min(B, s.N - n0);
    T* xp = padded.get(tid);
    copy_into_padded(x + n0 * s.C * s.H * s.W, nb * s.C, s.H, s.W, xp, Hp, Wp, s.PH, s.PW);
    const T* g = gy + n0 * s.OC * P;
    if (pad_gy) {
      T* gp = gy_padded.get(tid);
      copy_into_padded(g, nb * s.OC, s.OH, s.OW, gp, s.OH, OWr, 0, 0);
      g = gp;
    }
    const WgradArgs<T> a{nb,  g,  gy_image, s.OC,      s.OH,       s.OW, s.OH * OWr,
                         OWr, xp, image,    s.SH * Wp, off.data(), J,    parts.get(tid)};
    conv_detail::direct_wgrad(isa, a);
    if (gb) add_bias_grad(s, gy, n0, nb, bias_parts.get(tid));
  };
  // The threads' parts are summed in thread order, the weights split over the threads.
  const auto finish = [&](int64_t o, int) {
    for (int64_t e = o * J; e < (o + 1) * J; ++e) {
      T acc = 0;
      for (int t = 0; t < nt; ++t)
        if (const T* p = parts.used(t)) acc += sum(p + e * L, L);
      gw[e] = acc;
    }
    if (gb) gb[o] = bias_parts.sum(o);
  };
  run(chunks, task, s.OC, finish);
}

// 4 x 4 float transposes for copy_into_padded_nhwc, in 16-byte vectors (SSE2 on x86-64, the
// baseline): twice as fast as the scalar copy on benchmark (d) (0.09 against 0.19 ms per
// batch of 32 images, 16 channels, 32x32).
typedef float Float4 __attribute__((vector_size(16)));
typedef int Int4 __attribute__((vector_size(16)));
#if defined(__clang__)
#define NVZ_SHUFFLE4(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define NVZ_SHUFFLE4(a, b, i, j, k, l) __builtin_shuffle(a, b, Int4{i, j, k, l})
#endif

// dst[w * ds + c] = src[c * ss + w] for c, w < 4.
inline void transpose4(const float* src, int64_t ss, float* dst, int64_t ds) {
  Float4 r[4];
  for (int c = 0; c < 4; ++c) std::memcpy(&r[c], src + c * ss, sizeof(Float4));
  const Float4 t0 = NVZ_SHUFFLE4(r[0], r[1], 0, 4, 1, 5), t1 = NVZ_SHUFFLE4(r[0], r[1], 2, 6, 3, 7);
  const Float4 t2 = NVZ_SHUFFLE4(r[2], r[3], 0, 4, 1, 5), t3 = NVZ_SHUFFLE4(r[2], r[3], 2, 6, 3, 7);
  const Float4 o[4] = {NVZ_SHUFFLE4(t0, t2, 0, 1, 4, 5), NVZ_SHUFFLE4(t0, t2, 2, 3, 6, 7),
                       NVZ_SHUFFLE4(t1, t3, 0, 1, 4, 5), NVZ_SHUFFLE4(t1, t3, 2, 3, 6, 7)};
  for (int w = 0; w < 4; ++w) std::memcpy(dst + w * ds, &o[w], sizeof(Float4));
}
#undef NVZ_SHUFFLE4

// Copies planes (C, H, W) into the interior of a zero-bordered (Hb, Wb, Cp) buffer, channels
// last, at row `top`, column `left`. The border and the channels past C are never written.
template <typename T>
void copy_into_padded_nhwc(const T* src, int64_t C, int64_t H, int64_t W, T* dst, int64_t Wb,
                           int64_t Cp, int64_t top, int64_t left) {
  const int64_t ps = H * W;
  for (int64_t h = 0; h < H; ++h) {
    T* row = dst + ((top + h) * Wb + left) * Cp;
    const T* in = src + h * W;
    int64_t c = 0;
    if constexpr (std::is_same_v<T, float>)
      for (; c + 4 <= C; c += 4) {
        int64_t w = 0;
        for (; w + 4 <= W; w += 4) transpose4(in + c * ps + w, ps, row + w * Cp + c, Cp);
        for (; w < W; ++w)
          for (int64_t k = c; k < c + 4; ++k) row[w * Cp + k] = in[k * ps + w];
      }
    for (; c < C; ++c)
      for (int64_t w = 0; w < W; ++w) row[w * Cp + c] = in[c * ps + w];
  }
}

// Channels of the channels-last input of direct_wgrad_c: C rounded up to whole vectors.
template <typename T>
int64_t wgrad_c_channels(const Conv2dShape& s, Isa isa) {
  const int64_t V = conv_detail::wgrad_c_lanes<T>(isa);
  return (s.C + V - 1) / V * V;
}

// Weight gradient vectorised along the input channels (conv_direct.h's direct_wgrad_c), where
// the channels fill vectors at least as well as the rows do in the row kernel: every input
// load is then aligned, and there is no lane reduction at the end. Channels past C are zero
// (wasted lanes), so this is taken when C / Cp >= OW / OWr, OWr the rows padded to the row
// kernel's lanes: always when C fills whole vectors; at 4x4 maps with C = 8 on AVX-512
// (issue 22), where both use half their lanes, measured 0.5x the row kernel's time. Same
// chunking, per-thread parts and bias sums as weight_grad_direct.
template <typename T>
bool wgrad_by_channels(const Conv2dShape& s, Isa isa) {
  // Not for 1x1 kernels: blocks of 3 taps would compute two duplicates per tap (measured
  // 1.15x resp. 1.35x the row kernel's time on AVX-512 resp. AVX2, 64->32 channels, 14x14).
  // Elsewhere measured 1.4x to 2.8x faster than the row kernel, 2x2 kernels included.
  if (s.OC < conv_detail::wgrad_c_out_block(isa) || taps(s) <= 1) return false;
  const int64_t L = conv_detail::wgrad_lanes<T>(isa, s.OW), OWr = (s.OW + L - 1) / L * L;
  return s.C * OWr >= s.OW * wgrad_c_channels<T>(s, isa);
}

template <typename T, typename Phases>
void weight_grad_direct_c(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* gy, T* gw,
                          T* gb, const Phases& run) {
  const int64_t Hp = s.H + 2 * s.PH, Wp = s.W + 2 * s.PW, P = pixels(s), KK = taps(s);
  const int64_t Cp = wgrad_c_channels<T>(s, isa), line = 64 / sizeof(T);
  // Images start on cache lines, so that every vector load of the input is aligned.
  const int64_t image = (Hp * Wp * Cp + line - 1) / line * line;
  const int64_t B = wgrad_chunk(s, (image + s.OC * P) * sizeof(T), nt);
  const int64_t part = (s.OC * KK * Cp + line - 1) / line * line;
  ThreadScratch<T> padded(nt, B * image), parts(nt, part);
  ThreadScratch<T> bias_parts(nt, gb ? s.OC : 0);
  std::vector<int64_t> off(KK);
  const std::vector<int64_t> tap = tap_offsets(s, Wp);
  for (int64_t t = 0; t < KK; ++t) off[t] = tap[t] * Cp;
  const int64_t chunks = (s.N + B - 1) / B;
  const auto task = [&](int64_t chunk, int tid) {
    const int64_t n0 = chunk * B, nb = std::min(B, s.N - n0);
    T* xp = padded.get(tid);
    for (int64_t i = 0; i < nb; ++i)
      copy_into_padded_nhwc(x + (n0 + i) * s.C * s.H * s.W, s.C, s.H, s.W, xp + i * image, Wp, Cp,
                            s.PH, s.PW);
    const T* g = gy + n0 * s.OC * P;
    const conv_detail::WgradCArgs<T> a{
        nb, g,          s.OC * P, s.OC,          s.OH, s.OW, P, s.OW, xp, image, s.SH * Wp * Cp,
        Cp, off.data(), KK,       parts.get(tid)};
    conv_detail::direct_wgrad_c(isa, a);
    if (gb) add_bias_grad(s, gy, n0, nb, bias_parts.get(tid));
  };
  // The threads' parts are summed in thread order, the weights split over the threads.
  const auto finish = [&](int64_t o, int) {
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t t = 0; t < KK; ++t)
        gw[(o * s.C + c) * KK + t] = parts.sum((o * KK + t) * Cp + c);
    if (gb) gb[o] = bias_parts.sum(o);
  };
  run(chunks, task, s.OC, finish);
}

// The weight gradient with direct_wgrad_c's roles swapped: vectorised along the output
// channels, x broadcast. At stride 1, sum_p gy[o][p] x[c][p + d_t] = sum_q x[c][q]
// gy[o][q - d_t] over the input pixels q (gy zero outside its plane), so the kernel sums
// x (its broadcast operand, read in place) against a zero-padded channels-last copy of gy
// (its vector operand): gy placed QH - PH rows and QW - PW columns in, the taps reversed
// (tap kh reads row q + (KH-1-kh)*DH), part[c][reversed tap][o]. For small maps with few
// input channels (issue 22, 4x4 maps, 8->16 channels on AVX-512) the output channels fill
// the vectors where the input channels fill half: half the FMAs of weight_grad_direct_c.
// It computes H*W products per tap where the others compute OH*OW (wgrad_swapped weighs it).
template <typename T>
bool wgrad_swap_ok(const Conv2dShape& s, Isa isa) {
  return s.SH == 1 && s.SW == 1 && (s.KH - 1) * s.DH >= s.PH && (s.KW - 1) * s.DW >= s.PW &&
         s.C >= conv_detail::wgrad_c_out_block(isa) && taps(s) > 1;
}

template <typename T, typename Phases>
void weight_grad_direct_t(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* gy, T* gw,
                          T* gb, const Phases& run) {
  const int64_t QH = (s.KH - 1) * s.DH, QW = (s.KW - 1) * s.DW, KK = taps(s);
  const int64_t Hg = s.H + QH, Wg = s.W + QW, P = pixels(s), X = s.C * s.H * s.W;
  const int64_t V = conv_detail::wgrad_c_lanes<T>(isa), Op = (s.OC + V - 1) / V * V;
  const int64_t line = 64 / sizeof(T), image = (Hg * Wg * Op + line - 1) / line * line;
  const int64_t B = wgrad_chunk(s, (image + X) * sizeof(T), nt);
  const int64_t part = (s.C * KK * Op + line - 1) / line * line;
  ThreadScratch<T> padded(nt, B * image), parts(nt, part);
  ThreadScratch<T> bias_parts(nt, gb ? s.OC : 0);
  const std::vector<int64_t> tap = tap_offsets(s, Wg);
  std::vector<int64_t> off(KK);
  for (int64_t t = 0; t < KK; ++t) off[t] = tap[t] * Op;
  const int64_t chunks = (s.N + B - 1) / B;
  const auto task = [&](int64_t chunk, int tid) {
    const int64_t n0 = chunk * B, nb = std::min(B, s.N - n0);
    T* gp = padded.get(tid);
    for (int64_t i = 0; i < nb; ++i)
      copy_into_padded_nhwc(gy + (n0 + i) * s.OC * P, s.OC, s.OH, s.OW, gp + i * image, Wg, Op,
                            QH - s.PH, QW - s.PW);
    const conv_detail::WgradCArgs<T> a{nb,      x + n0 * X, X,          s.C, s.H,
                                       s.W,     s.H * s.W,  s.W,        gp,  image,
                                       Wg * Op, Op,         off.data(), KK,  parts.get(tid)};
    conv_detail::direct_wgrad_c(isa, a);
    if (gb) add_bias_grad(s, gy, n0, nb, bias_parts.get(tid));
  };
  // The threads' parts are summed in thread order, the weights split over the threads.
  const auto finish = [&](int64_t o, int) {
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t t = 0; t < KK; ++t)
        gw[(o * s.C + c) * KK + t] = parts.sum((c * KK + (KK - 1 - t)) * Op + o);
    if (gb) gb[o] = bias_parts.sum(o);
  };
  run(chunks, task, s.OC, finish);
}

template <typename T>
void weight_grad_im2col(const Conv2dShape& s, int nt, const T* x, const T* gy, T* gw) {
  const int64_t K = patch(s), P = pixels(s), size = s.OC * K;
  const bool plain = pointwise(s);
  std::vector<T> scratch(plain ? 0 : nt * K * P);
  // One thread accumulates straight into gw; several into their own copies, summed below.
  std::vector<T> partial(nt > 1 ? nt * size : 0, T(0));
  std::fill(gw, gw + size, T(0));
  const std::vector<ColRange> cols = valid_columns(s);
  for_each_task(s.N, nt, false, [&](int64_t n, int tid) {
    const T* xn = x + n * s.C * s.H * s.W;
    T* col = scratch.data() + tid * K * P;
    if (!plain) im2col(s, cols, xn, col, pixels(s));
    T* dst = nt > 1 ? partial.data() + tid * size : gw;
    gemm<T>(false, true, s.OC, K, P, T(1), gy + n * s.OC * P, P, plain ? xn : col, P, T(1), dst, K);
  });
  if (nt > 1)  // in thread order, each output channel's rows on one thread
    for_each_task(s.OC, nt, false, [&](int64_t o, int) {
      for (int t = 0; t < nt; ++t)
        for (int64_t e = o * K; e < (o + 1) * K; ++e) gw[e] += partial[t * size + e];
    });
}

// Stride 1: gx_n[c][ih][iw] = sum_{o, kh, kw} gy_n[o][ih + PH - kh*DH][iw + PW - kw*DW]
// * w[o][c][kh][kw], a correlation of gy (zero-padded by the dilated kernel extent) with
// the kernel rotated by 180 degrees and its channel axes swapped.
template <typename T, typename Loop>
void input_grad_direct(const Conv2dShape& s, Isa isa, int nt, const T* w, const T* gy, T* gx,
                       const Loop& each_image) {
  const int64_t QH = (s.KH - 1) * s.DH, QW = (s.KW - 1) * s.DW;
  const int64_t Hb = s.OH + 2 * QH, Wb = s.OW + 2 * QW, plane = Hb * Wb;
  const int64_t buf = s.OC * plane + kOverread, KK = taps(s), image = s.C * s.H * s.W;
  const bool flat = flatten_rows<T>(isa, s.C, s.H, s.W, Wb);
  const int64_t out = flat ? s.C * s.H * Wb : 0;
  ThreadScratch<T> padded(nt, buf);
  std::vector<T> flat_out(nt * out);
  std::vector<T> rotated(s.C * s.OC * KK);  // (C, OC, taps), taps reversed
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t o = 0; o < s.OC; ++o)
      for (int64_t t = 0; t < KK; ++t)
        rotated[(c * s.OC + o) * KK + t] = w[(o * s.C + c) * KK + (KK - 1 - t)];
  const std::vector<int64_t> off = tap_offsets(s, Wb);
  // Row ih of gx reads rows ih + PH + kh*DH of the padded gy, whose rows QH..QH+OH-1 are gy.
  const std::vector<int64_t> rows = row_tap_ranges(s, s.H, 1, s.PH, QH, QH + s.OH);
  each_image(s.N, [&](int64_t n, int tid) {
    T* gyp = padded.get(tid);
    copy_into_padded(gy + n * s.OC * pixels(s), s.OC, s.OH, s.OW, gyp, Hb, Wb, QH, QW);
    const T* in = gyp + s.PH * Wb + s.PW;
    T* gxn = gx + n * image;
    if (flat) {
      T* gf = flat_out.data() + tid * out;
      const CorrArgs<T> a{
          in,      s.OC, plane, Wb, off.data(),           KK,       nullptr, rotated.data(),
          nullptr, gf,   s.C,   1,  (s.H - 1) * Wb + s.W, s.H * Wb, 0};
      conv_detail::direct_corr(isa, a);
      unflatten(gf, s.C, s.H, Wb, s.W, gxn);
    } else {
      const CorrArgs<T> a{in,          s.OC,           plane,   Wb,  off.data(), KK,
                          rows.data(), rotated.data(), nullptr, gxn, s.C,        s.H,
                          s.W,         s.H * s.W,      s.W};
      conv_detail::direct_corr(isa, a);
    }
  });
}

// grad x at stride 1 as a scatter over flattened rows: gy_n's rows are spread Wp (the padded
// input width) apart, with zeros between them, so that each is one flat run of
// (OH - 1) * Wp + OW columns, and tap (kh, kw) of input channel c adds
// sum_o w[o][c][kh][kw] * run_o into the zero-padded plane of gx at offset kh*DH*Wp + kw*DW
// in one contiguous, vectorised sweep (the zeros land in the padding or add nothing).
// conv_direct.h's direct_scatter does W^T gY_n and the adds in one pass, in registers;
// the plane is then cropped into gx_n. Unlike the direct correlation of the padded gy
// (input_grad_direct), it does no work for taps that fall off the output.
template <typename T, typename Loop>
void input_grad_flat(const Conv2dShape& s, Isa isa, int nt, const T* w, const T* gy, T* gx,
                     const Loop& each_image) {
  using conv_detail::kScatterOverread;
  const int64_t Hp = s.H + 2 * s.PH, Wp = s.W + 2 * s.PW, plane = Hp * Wp, KK = taps(s);
  const int64_t run = (s.OH - 1) * Wp + s.OW;
  // gy runs start on cache lines (the kernel's loads of them then never straddle two).
  const int64_t line = 64 / sizeof(T), L = (s.OH * Wp + line - 1) / line * line;
  const int64_t gyb = s.OC * L + kScatterOverread;
  const int64_t gxb = (s.C * plane + kScatterOverread + line - 1) / line * line;
  ThreadScratch<T> scratch(nt, gyb + gxb);
  // Pairs in (tap, channel) order, the weights (OC, taps, C) to match: the pairs of a tile
  // then lie in different planes where C allows, so that adding one pair's sums to out does
  // not load what the pair just before stored, shifted (store forwarding fails there).
  const std::vector<int64_t> tap = tap_offsets(s, Wp);
  std::vector<int64_t> outoff(s.C * KK);
  std::vector<T> wt(s.OC * s.C * KK);
  for (int64_t t = 0; t < KK; ++t)
    for (int64_t c = 0; c < s.C; ++c) {
      outoff[t * s.C + c] = c * plane + tap[t];
      for (int64_t o = 0; o < s.OC; ++o) wt[(o * KK + t) * s.C + c] = w[(o * s.C + c) * KK + t];
    }
  each_image(s.N, [&](int64_t n, int tid) {
    T* gyp = scratch.get(tid);
    T* gxp = gyp + gyb;
    T* gxn = gx + n * s.C * s.H * s.W;
    const T* gyn = gy + n * s.OC * pixels(s);
    for (int64_t o = 0; o < s.OC; ++o)  // the zeros between rows are never written
      for (int64_t h = 0; h < s.OH; ++h)
        std::memcpy(gyp + o * L + h * Wp, gyn + (o * s.OH + h) * s.OW, s.OW * sizeof(T));
    std::fill(gxp, gxp + s.C * plane, T(0));
    const conv_detail::ScatterArgs<T> a{gyp, s.OC, L, run, wt.data(), s.C * KK, outoff.data(), gxp};
    conv_detail::direct_scatter(isa, a);
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t h = 0; h < s.H; ++h)
        std::memcpy(gxn + (c * s.H + h) * s.W, gxp + c * plane + (h + s.PH) * Wp + s.PW,
                    s.W * sizeof(T));
  });
}

// grad x of a stride-1 convolution is itself a stride-1 convolution: of gy, zero-padded by
// (K-1)*D - P, with the kernel rotated by 180 degrees and its channel axes swapped. This
// is that convolution's shape (input gy, output gx); its padding is >= 0 where
// input_grad_by_channels allows it.
Conv2dShape transposed_shape(const Conv2dShape& s) {
  const int64_t QH = (s.KH - 1) * s.DH, QW = (s.KW - 1) * s.DW;
  return {s.N, s.OC, s.OH, s.OW, s.C, s.KH, s.KW, 1, 1, QH - s.PH, QW - s.PW, s.DH, s.DW, s.H, s.W};
}

// Small maps (issue 22: 4x4, 8->16 channels, 3x3 'same'): rows of 4 columns fill half a
// ymm vector in the row-vectorised kernel, which also computes up to 6 rows per tile of 4,
// 6x the useful FMAs; the channel-vectorised forward kernel (forward_oc) on the transposed
// convolution wastes only the lanes past C (AVX-512, 16 lanes: half at C = 8). Taken where
// its vector FMAs per (channel, tap) are at most half the row kernel's (flattened or not).
template <typename T>
bool input_grad_by_channels(const Conv2dShape& s, Isa isa) {
  const int64_t V = conv_detail::oc_lanes<T>(isa);
  if (isa != Isa::avx512 || s.W >= V || s.SH != 1 || s.SW != 1) return false;
  if ((s.KH - 1) * s.DH < s.PH || (s.KW - 1) * s.DW < s.PW) return false;
  const int64_t Wb = s.OW + 2 * (s.KW - 1) * s.DW;
  const int64_t rows = conv_detail::direct_corr_cost<T>(isa, s.C, s.H, s.W);
  const int64_t flat = conv_detail::direct_corr_cost<T>(isa, s.C, 1, (s.H - 1) * Wb + s.W);
  const int64_t cw = s.W >= 8 ? 8 : 4, oc = s.H * ((s.W + cw - 1) / cw * cw) * ((s.C + V - 1) / V);
  return 2 * oc <= std::min(rows, flat);
}

template <typename T, typename Loop>
void input_grad_oc(const Conv2dShape& s, Isa isa, int nt, const T* w, const T* gy, T* gx,
                   const Loop& each_image) {
  const int64_t KK = taps(s);
  std::vector<T> rotated(s.C * s.OC * KK);  // (C, OC, taps), taps reversed
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t o = 0; o < s.OC; ++o)
      for (int64_t t = 0; t < KK; ++t)
        rotated[(c * s.OC + o) * KK + t] = w[(o * s.C + c) * KK + (KK - 1 - t)];
  forward_oc(transposed_shape(s), isa, nt, gy, rotated.data(), static_cast<const T*>(nullptr), gx,
             each_image);
}

// Maps of at most one vector of pixels, input and output (conv_direct.h's direct_lanes): one
// vector FMA per (gy channel, tap, x channel), against the row kernel's (clamped) rows and
// the channel kernel's pixels per channel vector. Taken at stride 1 where it issues no more
// FMAs than the others: the digits CNN's c2 (4x4, 8->16 channels) 8 against 16 (forward_oc)
// and 48 (rows) per (gy channel, tap).
template <typename T>
bool input_grad_by_lanes(const Conv2dShape& s, Isa isa) {
  const int64_t V = conv_detail::lane_count<T>(isa);
  if (s.H * s.W > V || pixels(s) > V || s.SH != 1 || s.SW != 1) return false;
  const int64_t Wb = s.OW + 2 * (s.KW - 1) * s.DW;
  int64_t best = std::min(conv_detail::direct_corr_cost<T>(isa, s.C, s.H, s.W),
                          conv_detail::direct_corr_cost<T>(isa, s.C, 1, (s.H - 1) * Wb + s.W));
  if (isa == Isa::avx512) {
    const int64_t cw = s.W >= 8 ? 8 : 4, O = conv_detail::oc_lanes<T>(isa);
    best = std::min(best, s.H * ((s.W + cw - 1) / cw * cw) * ((s.C + O - 1) / O));
  }
  return s.C <= best;
}

// For tap (kh, kw) and pixel q = (ih, iw) of gx, the gy pixel it reads at stride 1,
// (ih + PH - kh*DH, iw + PW - kw*DW), or V (zero) where that is outside gy.
template <typename T>
std::vector<typename conv_detail::LaneIdx<T>::type> grad_x_lane_sources(const Conv2dShape& s,
                                                                        int64_t V) {
  std::vector<typename conv_detail::LaneIdx<T>::type> src(taps(s) * V, V);
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw)
      for (int64_t ih = 0; ih < s.H; ++ih)
        for (int64_t iw = 0; iw < s.W; ++iw) {
          const int64_t a = ih + s.PH - kh * s.DH, b = iw + s.PW - kw * s.DW;
          if (a >= 0 && a < s.OH && b >= 0 && b < s.OW)
            src[(kh * s.KW + kw) * V + ih * s.W + iw] = a * s.OW + b;
        }
  return src;
}

template <typename T, typename Loop>
void input_grad_lanes(const Conv2dShape& s, Isa isa, const T* w, const T* gy, T* gx,
                      const Loop& each_image) {
  const int64_t V = conv_detail::lane_count<T>(isa), KK = taps(s), P = pixels(s);
  const auto src = grad_x_lane_sources<T>(s, V);
  std::vector<T> wt(s.OC * KK * s.C);  // (OC, taps, C)
  for (int64_t o = 0; o < s.OC; ++o)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t t = 0; t < KK; ++t) wt[(o * KK + t) * s.C + c] = w[(o * s.C + c) * KK + t];
  each_image(s.N, [&](int64_t n, int) {
    const conv_detail::LaneArgs<T> a{
        gy + n * s.OC * P,        s.OC, P,         P,        src.data(), KK, wt.data(), nullptr,
        gx + n * s.C * s.H * s.W, s.C,  s.H * s.W, s.H * s.W};
    conv_detail::direct_lanes(isa, a);
  });
}

template <typename T>
void input_grad_im2col(const Conv2dShape& s, int nt, const T* w, const T* gy, T* gx) {
  const int64_t K = patch(s), P = pixels(s);
  const bool plain = pointwise(s);
  std::vector<T> scratch(plain ? 0 : nt * K * P);
  const std::vector<ColRange> cols = valid_columns(s);
  for_each_task(s.N, nt, true, [&](int64_t n, int tid) {
    T* gxn = gx + n * s.C * s.H * s.W;
    T* dcol = plain ? gxn : scratch.data() + tid * K * P;
    gemm<T>(true, false, K, P, s.OC, T(1), w, K, gy + n * s.OC * P, P, T(0), dcol, P);
    if (!plain) col2im(s, cols, dcol, pixels(s), gxn);
  });
}

// The direct weight gradient (and gb, when not null): vectorised along the input channels
// where they fill vectors, else along the rows.
// Vector FMAs per image of the swapped kernel against the better of the other two (the row
// kernel: rows in vectors of L lanes; by channels: Cp/V vectors per pixel and tap): swapped
// where it issues at most 3/4 of them.
template <typename T>
bool wgrad_swapped(const Conv2dShape& s, Isa isa) {
  if (!wgrad_swap_ok<T>(s, isa)) return false;
  const int64_t V = conv_detail::wgrad_c_lanes<T>(isa), L = conv_detail::wgrad_lanes<T>(isa, s.OW);
  const int64_t KK = taps(s), cdv = (s.C + V - 1) / V, odv = (s.OC + V - 1) / V;
  const int64_t rows = s.OC * s.C * KK * s.OH * ((s.OW + L - 1) / L);
  const int64_t chans = wgrad_by_channels<T>(s, isa) ? s.OC * KK * pixels(s) * cdv : rows;
  const int64_t swapped = s.C * KK * s.H * s.W * odv;
  return 4 * swapped <= 3 * std::min(rows, chans);
}

template <typename T, typename Phases>
void weight_grad(const Conv2dShape& s, Isa isa, int nt, const T* x, const T* gy, T* gw, T* gb,
                 const Phases& run) {
  if (wgrad_swapped<T>(s, isa))
    weight_grad_direct_t(s, isa, nt, x, gy, gw, gb, run);
  else if (wgrad_by_channels<T>(s, isa))
    weight_grad_direct_c(s, isa, nt, x, gy, gw, gb, run);
  else
    weight_grad_direct(s, isa, nt, x, gy, gw, gb, run);
}

}  // namespace

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y) {
  check_shape(s, "conv2d");
  if (s.N == 0) return;
  NVZ_CHECK(x && w && y, "conv2d: x, w and y must not be null");
  const int nt = image_threads(s, s.N * s.OC * pixels(s) * patch(s));
  const Isa isa = cpu_isa();
  if (forward_by_lanes<T>(s, isa))
    forward_lanes(s, isa, nt, x, w, b, y);
  else if (direct_ok(s) && forward_by_channels<T>(s, isa))
    forward_oc(s, isa, nt, x, w, b, y, ImageLoop{nt});
  else if (direct_ok(s))
    forward_direct(s, isa, nt, x, w, b, y);
  else
    forward_im2col(s, nt, x, w, b, y);
}

template <typename T>
void conv2d_backward(const Conv2dShape& s, const T* x, const T* w, const T* gy, T* gx, T* gw,
                     T* gb) {
  check_shape(s, "conv2d_backward");
  NVZ_CHECK(gy, "conv2d_backward: grad_y must not be null");
  NVZ_CHECK(!gw || x, "conv2d_backward: x is needed for grad_w but is null");
  NVZ_CHECK(!gx || w, "conv2d_backward: w is needed for grad_x but is null");
  const Isa isa = cpu_isa();
  const int nt = image_threads(s, s.N * s.OC * pixels(s) * patch(s));
  const bool direct_gw = gw && s.N > 0 && direct_ok(s);  // it sums gb too
  if (gb && !direct_gw) bias_grad(s, nt, gy, gb);
  if (gw && s.N == 0) std::fill(gw, gw + s.OC * patch(s), T(0));
  GradX gx_path = input_grad_path(s);
  if (gx_path != GradX::im2col && input_grad_by_lanes<T>(s, isa))
    gx_path = GradX::lanes;
  else if (gx_path == GradX::direct && input_grad_by_channels<T>(s, isa))
    gx_path = GradX::oc;
  const bool direct_gx = gx && s.N > 0 && gx_path != GradX::im2col;
  if (direct_gw && direct_gx && nt > 1) {
    // Both passes in one parallel region (run_backward): grad w's phases wrap grad x's loop.
    const auto fused = [&](int64_t wtasks, const auto& wtask, int64_t wfin, const auto& wfinish) {
      const auto loop = [&](int64_t xtasks, const auto& xtask) {
        run_backward(nt, wtasks, wtask, wfin, wfinish, xtasks, xtask);
      };
      if (gx_path == GradX::flat)
        input_grad_flat(s, isa, nt, w, gy, gx, loop);
      else if (gx_path == GradX::oc)
        input_grad_oc(s, isa, nt, w, gy, gx, loop);
      else if (gx_path == GradX::lanes)
        input_grad_lanes(s, isa, w, gy, gx, loop);
      else
        input_grad_direct(s, isa, nt, w, gy, gx, loop);
    };
    weight_grad(s, isa, nt, x, gy, gw, gb, fused);
    return;
  }
  if (direct_gw)
    weight_grad(s, isa, nt, x, gy, gw, gb, SeparatePhases{nt});
  else if (gw && s.N > 0)
    weight_grad_im2col(s, nt, x, gy, gw);
  if (gx && s.N > 0) {
    switch (gx_path) {
      case GradX::im2col:
        input_grad_im2col(s, nt, w, gy, gx);
        break;
      case GradX::flat:
        input_grad_flat(s, isa, nt, w, gy, gx, ImageLoop{nt});
        break;
      case GradX::direct:
        input_grad_direct(s, isa, nt, w, gy, gx, ImageLoop{nt});
        break;
      case GradX::oc:
        input_grad_oc(s, isa, nt, w, gy, gx, ImageLoop{nt});
        break;
      case GradX::lanes:
        input_grad_lanes(s, isa, w, gy, gx, ImageLoop{nt});
        break;
    }
  }
}

template void conv2d_forward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                    float*);
template void conv2d_forward<double>(const Conv2dShape&, const double*, const double*,
                                     const double*, double*);
template void conv2d_backward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                     float*, float*, float*);
template void conv2d_backward<double>(const Conv2dShape&, const double*, const double*,
                                      const double*, double*, double*, double*);

}  // namespace nvz

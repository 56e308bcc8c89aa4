// 2-D max and average pooling (pool.h), PyTorch semantics: floor output size, max pool
// pads with -inf (a window never takes its max from padding), average pool divides by the
// window size including padded zeros (count_include_pad=True).
//
// Without padding (every window inside the input) the forward passes run in
// pool_kernels.inc, one output per vector lane, taken flat over (plane, oh, ow) and split over
// threads in chunks; with padding they run here, plane by plane over threads, the window
// clipped to the input once per output so the inner loops need no bounds tests. Both give
// bit-identical results (same taps, same order, same rule). max_pool2d_backward checks its
// indices with vectors too (check_max_pool_indices), then zeroes and scatters plane by plane.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/check.h"
#include "common/cpu_features.h"
#include "common/isa.h"
#include "common/parallel.h"

#ifdef NVZ_ISA_X86
#include <immintrin.h>  // the gathers of pool_kernels.inc's AVX2 and AVX-512 copies
#endif

namespace nvz {
namespace pool_kernels {

#define NVZ_ISA_BODY "cpu/pool_kernels.inc"
#include "common/isa_each.inc"
#undef NVZ_ISA_BODY

}  // namespace pool_kernels

namespace {

void check_pool_shape(const Pool2dShape& s, const char* fn) {
  NVZ_CHECK(s.N >= 0 && s.C >= 1 && s.H >= 1 && s.W >= 1, fn,
            ": x must have N >= 0 and positive C, H, W, got (", s.N, ", ", s.C, ", ", s.H, ", ",
            s.W, ")");
  NVZ_CHECK(s.KH >= 1 && s.KW >= 1, fn, ": kernel_size must be >= 1, got (", s.KH, ", ", s.KW, ")");
  NVZ_CHECK(s.SH >= 1 && s.SW >= 1, fn, ": stride must be >= 1, got (", s.SH, ", ", s.SW, ")");
  NVZ_CHECK(s.PH >= 0 && s.PW >= 0 && 2 * s.PH <= s.KH && 2 * s.PW <= s.KW, fn, ": padding (", s.PH,
            ", ", s.PW, ") must be >= 0 and at most half of kernel_size (", s.KH, ", ", s.KW, ")");
  const int64_t eh = s.H + 2 * s.PH - s.KH, ew = s.W + 2 * s.PW - s.KW;
  NVZ_CHECK(eh >= 0 && ew >= 0, fn, ": kernel_size (", s.KH, ", ", s.KW,
            ") is larger than the padded input (", s.H + 2 * s.PH, ", ", s.W + 2 * s.PW, ")");
  NVZ_CHECK(s.OH == eh / s.SH + 1 && s.OW == ew / s.SW + 1, fn, ": output size (", s.OH, ", ", s.OW,
            ") should be (", eh / s.SH + 1, ", ", ew / s.SW + 1, ")");
}

// Threads over the N*C planes for `work` elementary operations; small calls stay serial.
// An operation here is a scalar compare or add, some 16 times the cost of a multiply-add in
// a vectorised convolution, hence the smaller share of kMinBatchWorkPerThread.
int plane_threads(const Pool2dShape& s, int64_t work) {
  return static_cast<int>(std::min<int64_t>(threads_for(work, kMinBatchWorkPerThread / 16),
                                            std::max<int64_t>(s.N * s.C, 1)));
}

// body(plane) for every (n, c) plane; the body must not throw.
template <typename F>
void for_each_plane(int64_t planes, int nt, const F& body) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
#endif
  for (int64_t p = 0; p < planes; ++p) body(p);
  (void)nt;
}

// The part [lo, hi) of window [start, start + k) that lies inside [0, size).
struct Span {
  int64_t lo, hi;
};
Span clip(int64_t start, int64_t k, int64_t size) {
  return {std::max<int64_t>(start, 0), std::min(start + k, size)};
}

// The max of output (oh, ow)'s window over plane x, written to *y and its index to *idx.
// The reference rule that pool_kernels.inc's vector path reproduces bit for bit.
template <typename T>
void max_window(const Pool2dShape& s, const T* x, int64_t oh, int64_t ow, T* y, int64_t* idx) {
  const Span h = clip(oh * s.SH - s.PH, s.KH, s.H);
  const Span w = clip(ow * s.SW - s.PW, s.KW, s.W);
  // As PyTorch: the first maximum in row-major order wins, and a NaN is the maximum.
  T best = -std::numeric_limits<T>::infinity();
  int64_t arg = h.lo * s.W + w.lo;
  for (int64_t ih = h.lo; ih < h.hi; ++ih)
    for (int64_t iw = w.lo; iw < w.hi; ++iw) {
      const T v = x[ih * s.W + iw];
      if (v > best || std::isnan(v)) best = v, arg = ih * s.W + iw;
    }
  *y = best;
  *idx = arg;
}

template <typename T>
void max_pool_plane(const Pool2dShape& s, const T* x, T* y, int64_t* idx) {
  for (int64_t oh = 0; oh < s.OH; ++oh)
    for (int64_t ow = 0; ow < s.OW; ++ow)
      max_window(s, x, oh, ow, y + oh * s.OW + ow, idx + oh * s.OW + ow);
}

// The mean of output (oh, ow)'s window over plane x (the reference for the vector path).
template <typename T>
T avg_window(const Pool2dShape& s, const T* x, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * s.SH - s.PH, w0 = ow * s.SW - s.PW;
  const Span h = clip(h0, s.KH, s.H), w = clip(w0, s.KW, s.W);
  // count_include_pad: the divisor counts the window up to the padded border.
  const int64_t count =
      (std::min(h0 + s.KH, s.H + s.PH) - h0) * (std::min(w0 + s.KW, s.W + s.PW) - w0);
  T acc = 0;
  for (int64_t ih = h.lo; ih < h.hi; ++ih)
    for (int64_t iw = w.lo; iw < w.hi; ++iw) acc += x[ih * s.W + iw];
  return acc / static_cast<T>(count);
}

template <typename T>
void avg_pool_plane(const Pool2dShape& s, const T* x, T* y) {
  for (int64_t oh = 0; oh < s.OH; ++oh)
    for (int64_t ow = 0; ow < s.OW; ++ow) y[oh * s.OW + ow] = avg_window(s, x, oh, ow);
}

// The vector path (pool_kernels.inc) takes every output when no window reaches into padding,
// i.e. without padding, and when the offsets of its gathers fit int32 (x has < 2^31 elements,
// which also keeps a plane's flat positions within float's int32 index lanes).
bool flat_path(const Pool2dShape& s) {
  return s.PH == 0 && s.PW == 0 &&
         s.N * s.C * s.H * s.W <= int64_t(std::numeric_limits<int32_t>::max());
}

// corner[q]: the flat position of output q's top-left tap in its plane.
std::vector<int64_t> corner_table(const Pool2dShape& s) {
  std::vector<int64_t> corner(static_cast<size_t>(s.OH * s.OW));
  for (int64_t oh = 0; oh < s.OH; ++oh)
    for (int64_t ow = 0; ow < s.OW; ++ow) corner[oh * s.OW + ow] = oh * s.SH * s.W + ow * s.SW;
  return corner;
}

// Splits the flat outputs [0, total) into nt chunks of whole 64s (any vector's multiple) and
// runs body(begin, end) on each; the body must not throw.
template <typename F>
void for_each_chunk(int64_t total, int nt, const F& body) {
  const int64_t step = (total / nt + 63) / 64 * 64;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
#endif
  for (int t = 0; t < nt; ++t) {
    const int64_t begin = std::min(total, t * step), end = std::min(total, begin + step);
    if (begin < end) body(begin, end);
  }
}

// Flat outputs [o, o_end) one at a time (the < L outputs the vector path leaves).
template <typename T>
void max_pool_scalar(const Pool2dShape& s, const T* x, T* y, int64_t* idx, int64_t o,
                     int64_t o_end) {
  const int64_t P = s.OH * s.OW, HW = s.H * s.W;
  for (; o < o_end; ++o) max_window(s, x + o / P * HW, o % P / s.OW, o % s.OW, y + o, idx + o);
}

template <typename T>
void avg_pool_scalar(const Pool2dShape& s, const T* x, T* y, int64_t o, int64_t o_end) {
  const int64_t P = s.OH * s.OW, HW = s.H * s.W;
  for (; o < o_end; ++o) y[o] = avg_window(s, x + o / P * HW, o % P / s.OW, o % s.OW);
}

template <typename T>
int64_t max_pool_flat(const Pool2dShape& s, const int64_t* corner, const T* x, T* y, int64_t* idx,
                      int64_t o, int64_t o_end) {
  using namespace pool_kernels;
  NVZ_ISA_RETURN(cpu_isa(), max_pool_flat<T>, s, corner, x, y, idx, o, o_end);
}

template <typename T>
int64_t avg_pool_flat(const Pool2dShape& s, const int64_t* corner, const T* x, T* y, int64_t o,
                      int64_t o_end) {
  using namespace pool_kernels;
  NVZ_ISA_RETURN(cpu_isa(), avg_pool_flat<T>, s, corner, x, y, o, o_end);
}

template <typename T>
void avg_pool_plane_backward(const Pool2dShape& s, const T* gy, T* gx) {
  std::fill(gx, gx + s.H * s.W, T(0));
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const int64_t h0 = oh * s.SH - s.PH;
    const Span h = clip(h0, s.KH, s.H);
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      const int64_t w0 = ow * s.SW - s.PW;
      const Span w = clip(w0, s.KW, s.W);
      const int64_t count =
          (std::min(h0 + s.KH, s.H + s.PH) - h0) * (std::min(w0 + s.KW, s.W + s.PW) - w0);
      const T g = gy[oh * s.OW + ow] / static_cast<T>(count);
      for (int64_t ih = h.lo; ih < h.hi; ++ih)
        for (int64_t iw = w.lo; iw < w.hi; ++iw) gx[ih * s.W + iw] += g;
    }
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* idx) {
  check_pool_shape(s, "max_pool2d");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  const int nt = plane_threads(s, s.N * s.C * out * s.KH * s.KW);
  if (flat_path(s)) {
    const std::vector<int64_t> corner = corner_table(s);
    for_each_chunk(s.N * s.C * out, nt, [&](int64_t begin, int64_t end) {
      const int64_t done = max_pool_flat(s, corner.data(), x, y, idx, begin, end);
      max_pool_scalar(s, x, y, idx, done, end);
    });
    return;
  }
  for_each_plane(s.N * s.C, nt,
                 [&](int64_t p) { max_pool_plane(s, x + p * in, y + p * out, idx + p * out); });
}

namespace {

// Output row (p, oh) checked element by element, with the messages; writes its indices' rows
// to `row`. The reference for the vector check (index_row_ok), which calls it on a failure.
void check_index_row(const Pool2dShape& s, const int64_t* idx, int64_t p, int64_t oh,
                     const int64_t* above, int64_t* row) {
  const int64_t plane = s.H * s.W;
  int64_t left = 0;  // the column of the index to the left
  for (int64_t ow = 0; ow < s.OW; ++ow) {
    const int64_t e = (p * s.OH + oh) * s.OW + ow, i = idx[e];
    NVZ_CHECK(i >= 0 && i < plane, "max_pool2d_backward: indices must lie in [0, H*W) = [0, ",
              plane, ") for x_shape H=", s.H, ", W=", s.W, ", got ", i, " at flat position ", e);
    const int64_t r = i / s.W, col = i - r * s.W;
    NVZ_CHECK((ow == 0 || col >= left) && (oh == 0 || r >= above[ow]),
              "max_pool2d_backward: indices do not come from max_pool2d on planes of x_shape H=",
              s.H, ", W=", s.W, ": index ", i, " at flat position ", e,
              " is left of or above its neighbour's (is x_shape the forward's input shape?)");
    left = col;
    row[ow] = r;
  }
}

bool index_rows_ok(const int64_t* idx, int64_t total, int64_t P, int64_t OW, int64_t plane,
                   int64_t W, double inv) {
  using namespace pool_kernels;
  NVZ_ISA_RETURN(cpu_isa(), index_rows_ok, idx, total, P, OW, plane, W, inv);
}

}  // namespace

// All rows at once through the vector check (index_rows_ok); only if that fails, row by row
// with the messages (check_index_row). Planes of 2^40 elements and more: row by row.
void check_max_pool_indices(const Pool2dShape& s, const int64_t* idx) {
  const int64_t plane = s.H * s.W;
  if (plane < (int64_t(1) << 40) && index_rows_ok(idx, s.N * s.C * s.OH * s.OW, s.OH * s.OW, s.OW,
                                                  plane, s.W, 1.0 / static_cast<double>(s.W)))
    return;
  std::vector<int64_t> above(s.OW), row(s.OW);
  for (int64_t p = 0; p < s.N * s.C; ++p)
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      check_index_row(s, idx, p, oh, above.data(), row.data());
      std::swap(above, row);
    }
}

template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* gy, const int64_t* idx, T* gx) {
  // Only the sizes matter here (the window geometry is encoded in idx).
  NVZ_CHECK(s.N >= 0 && s.C >= 1 && s.H >= 1 && s.W >= 1 && s.OH >= 1 && s.OW >= 1,
            "max_pool2d_backward: sizes must be positive, got N=", s.N, " C=", s.C, " H=", s.H,
            " W=", s.W, " OH=", s.OH, " OW=", s.OW);
  const int64_t in = s.H * s.W, out = s.OH * s.OW, total = s.N * s.C * out;
  // Validate every index before the parallel scatter (no throwing inside OpenMP).
  check_max_pool_indices(s, idx);
  const int nt = plane_threads(s, total);
  for_each_plane(s.N * s.C, nt, [&](int64_t p) {
    T* g = gx + p * in;
    std::fill(g, g + in, T(0));
    const T* gyp = gy + p * out;
    const int64_t* ip = idx + p * out;
    for (int64_t e = 0; e < out; ++e) g[ip[e]] += gyp[e];
  });
}

template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y) {
  check_pool_shape(s, "avg_pool2d");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  const int nt = plane_threads(s, s.N * s.C * out * s.KH * s.KW);
  if (flat_path(s)) {
    const std::vector<int64_t> corner = corner_table(s);
    for_each_chunk(s.N * s.C * out, nt, [&](int64_t begin, int64_t end) {
      avg_pool_scalar(s, x, y, avg_pool_flat(s, corner.data(), x, y, begin, end), end);
    });
    return;
  }
  for_each_plane(s.N * s.C, nt, [&](int64_t p) { avg_pool_plane(s, x + p * in, y + p * out); });
}

template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, const T* gy, T* gx) {
  check_pool_shape(s, "avg_pool2d_backward");
  const int64_t in = s.H * s.W, out = s.OH * s.OW;
  const int nt = plane_threads(s, s.N * s.C * out * s.KH * s.KW);
  for_each_plane(s.N * s.C, nt,
                 [&](int64_t p) { avg_pool_plane_backward(s, gy + p * out, gx + p * in); });
}

template void max_pool2d_forward<float>(const Pool2dShape&, const float*, float*, int64_t*);
template void max_pool2d_forward<double>(const Pool2dShape&, const double*, double*, int64_t*);
template void max_pool2d_backward<float>(const Pool2dShape&, const float*, const int64_t*, float*);
template void max_pool2d_backward<double>(const Pool2dShape&, const double*, const int64_t*,
                                          double*);
template void avg_pool2d_forward<float>(const Pool2dShape&, const float*, float*);
template void avg_pool2d_forward<double>(const Pool2dShape&, const double*, double*);
template void avg_pool2d_backward<float>(const Pool2dShape&, const float*, float*);
template void avg_pool2d_backward<double>(const Pool2dShape&, const double*, double*);

}  // namespace nvz

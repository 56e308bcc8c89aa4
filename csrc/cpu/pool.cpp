// 2-D max and average pooling (pool.h), PyTorch semantics: floor output size, max pool
// pads with -inf (a window never takes its max from padding), average pool divides by the
// window size including padded zeros (count_include_pad=True).
//
// Every (n, c) plane is independent, so planes are spread over threads; within a plane the
// loops run over output rows and columns with the window clipped to the input once per
// output, which keeps the inner loops free of bounds tests.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/check.h"
#include "common/parallel.h"

namespace nvz {
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

template <typename T>
void max_pool_plane(const Pool2dShape& s, const T* x, T* y, int64_t* idx) {
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const Span h = clip(oh * s.SH - s.PH, s.KH, s.H);
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      const Span w = clip(ow * s.SW - s.PW, s.KW, s.W);
      // As PyTorch: the first maximum in row-major order wins, and a NaN is the maximum.
      T best = -std::numeric_limits<T>::infinity();
      int64_t arg = h.lo * s.W + w.lo;
      for (int64_t ih = h.lo; ih < h.hi; ++ih)
        for (int64_t iw = w.lo; iw < w.hi; ++iw) {
          const T v = x[ih * s.W + iw];
          if (v > best || std::isnan(v)) best = v, arg = ih * s.W + iw;
        }
      y[oh * s.OW + ow] = best;
      idx[oh * s.OW + ow] = arg;
    }
  }
}

template <typename T>
void avg_pool_plane(const Pool2dShape& s, const T* x, T* y) {
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const int64_t h0 = oh * s.SH - s.PH;
    const Span h = clip(h0, s.KH, s.H);
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      const int64_t w0 = ow * s.SW - s.PW;
      const Span w = clip(w0, s.KW, s.W);
      // count_include_pad: the divisor counts the window up to the padded border.
      const int64_t count =
          (std::min(h0 + s.KH, s.H + s.PH) - h0) * (std::min(w0 + s.KW, s.W + s.PW) - w0);
      T acc = 0;
      for (int64_t ih = h.lo; ih < h.hi; ++ih)
        for (int64_t iw = w.lo; iw < w.hi; ++iw) acc += x[ih * s.W + iw];
      y[oh * s.OW + ow] = acc / static_cast<T>(count);
    }
  }
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
  for_each_plane(s.N * s.C, nt,
                 [&](int64_t p) { max_pool_plane(s, x + p * in, y + p * out, idx + p * out); });
}

template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* gy, const int64_t* idx, T* gx) {
  // Only the sizes matter here (the window geometry is encoded in idx).
  NVZ_CHECK(s.N >= 0 && s.C >= 1 && s.H >= 1 && s.W >= 1 && s.OH >= 1 && s.OW >= 1,
            "max_pool2d_backward: sizes must be positive, got N=", s.N, " C=", s.C, " H=", s.H,
            " W=", s.W, " OH=", s.OH, " OW=", s.OW);
  const int64_t in = s.H * s.W, out = s.OH * s.OW, total = s.N * s.C * out;
  // Validate every index before the parallel scatter (no throwing inside OpenMP).
  for (int64_t e = 0; e < total; ++e)
    NVZ_CHECK(idx[e] >= 0 && idx[e] < in,
              "max_pool2d_backward: indices must lie in [0, H*W) = [0, ", in,
              ") for x_shape H=", s.H, ", W=", s.W, ", got ", idx[e], " at flat position ", e);
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

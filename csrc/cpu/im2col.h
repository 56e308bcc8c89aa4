// im2col / col2im for one image and the vectorisable sum the convolution passes share (conv.cpp,
// conv_transpose.cpp). Internal to the kernels: not bound, no checks (the callers checked the
// shape).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "conv.h"

namespace nvz::detail {

// Output columns ow whose input column ow*SW + kw*DW - PW lies inside [0, W).
struct ColRange {
  int64_t lo, hi;
};

inline std::vector<ColRange> valid_columns(const Conv2dShape& s) {
  std::vector<ColRange> r(s.KW);
  for (int64_t kw = 0; kw < s.KW; ++kw) {
    const int64_t shift = kw * s.DW - s.PW;  // iw = ow*SW + shift
    const int64_t lo = shift >= 0 ? 0 : (-shift + s.SW - 1) / s.SW;
    const int64_t last = s.W - 1 - shift;  // largest ow*SW allowed
    const int64_t hi = last < 0 ? 0 : std::min(s.OW, last / s.SW + 1);
    r[kw] = {std::min(lo, hi), hi};
  }
  return r;
}

// col[(c*KH + kh)*KW + kw][oh*OW + ow] (rows ld apart: OH*OW for one image, more when images sit
// side by side) = x[c][oh*SH + kh*DH - PH][ow*SW + kw*DW - PW], or 0 outside the image.
template <typename T>
void im2col(const Conv2dShape& s, const std::vector<ColRange>& cols, const T* x, T* col,
            int64_t ld) {
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        T* row = col + ((c * s.KH + kh) * s.KW + kw) * ld;
        const auto [lo, hi] = cols[kw];
        for (int64_t oh = 0; oh < s.OH; ++oh) {
          T* dst = row + oh * s.OW;
          const int64_t ih = oh * s.SH + kh * s.DH - s.PH;
          if (ih < 0 || ih >= s.H) {
            std::fill(dst, dst + s.OW, T(0));
            continue;
          }
          const T* src = x + (c * s.H + ih) * s.W + kw * s.DW - s.PW;
          std::fill(dst, dst + lo, T(0));
          if (s.SW == 1)
            std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(T));
          else
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s.SW];
          std::fill(dst + hi, dst + s.OW, T(0));
        }
      }
}

// The adjoint of im2col: gx (C, H, W) = the sum of every column entry onto its pixel (gx is
// zeroed first).
template <typename T>
void col2im(const Conv2dShape& s, const std::vector<ColRange>& cols, const T* col, int64_t ld,
            T* gx) {
  std::fill(gx, gx + s.C * s.H * s.W, T(0));
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const T* row = col + ((c * s.KH + kh) * s.KW + kw) * ld;
        const auto [lo, hi] = cols[kw];
        for (int64_t oh = 0; oh < s.OH; ++oh) {
          const int64_t ih = oh * s.SH + kh * s.DH - s.PH;
          if (ih < 0 || ih >= s.H) continue;
          const T* src = row + oh * s.OW;
          T* dst = gx + (c * s.H + ih) * s.W + kw * s.DW - s.PW;
          if (s.SW == 1)
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
          else
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * s.SW] += src[ow];
        }
      }
}

// Vectorisable sum (8 independent partial sums: no reassociation without -ffast-math).
template <typename T>
T sum(const T* p, int64_t n) {
  T part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) part[k] += p[i + k];
  for (; i < n; ++i) part[i % 8] += p[i];
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace nvz::detail

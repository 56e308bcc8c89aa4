// 2-D transposed convolution (conv_transpose.h), built from conv2d's passes (conv.cpp).
//
// A transposed convolution is the adjoint of the convolution with the same weights and
// geometry, run from the transposed output (OC, OH, OW) back to its input (C, H, W). So:
//
//   forward   y  = conv2d's grad-x of "grad_y" := x          (scatter of each x pixel)
//   grad x    gx = conv2d forward of grad_y, no bias          (a gather: plain correlation)
//   grad w    gw = conv2d's grad-w with x := grad_y, gy := x  (same (C, OC, KH, KW) layout)
//   grad b    gb = the per-channel sum of grad_y
//
// with the weight array used as it is: PyTorch's (C_in, C_out, KH, KW) is conv2d's
// (C_out, C_in, KH, KW) of the adjoint. At stride 1 each pass is conv.cpp's, with its
// strategies (direct kernels, or im2col + GEMM when large) and its threads.
//
// Strided layers (the upsampling ones: DCGAN generators, decoders) take a batched form of
// conv.cpp's im2col path instead: its per-image GEMMs have only OH*OW columns of the adjoint
// (49 for a 7x7 -> 14x14 layer), too narrow for the GEMM's register tiles, and the weight
// gradient's per-image GEMM (K = 49) re-reads and re-writes all of gw for every image. Here
// a chunk of images shares one GEMM per pass, with the images side by side as columns:
//
//   xt  (C, B*P)     x's chunk, channel-major (P = the adjoint's output pixels, H*W)
//   col (K, B*P)     im2col of grad_y's chunk (K = OC*KH*KW), shared by grad x and grad w
//   forward   dcol = W^T xt, then col2im per image        (W as stored: (C, K))
//   grad x    gxt  = W col, then back to (B, C, P)
//   grad w    gw  += xt col^T                             (K = B*P: one long sum per chunk)
//
// Measured on the DCGAN 128->64 7x7 -> 14x14 layer (batch 64, one thread, AVX-512): forward
// 26 -> 9 ms, forward + both gradients 85 -> 26 ms against the per-image path.
//
// Output padding adds OP rows at the bottom (columns at the right) of y. While OP < S the
// adjoint convolution of the taller y still has exactly H output rows (floor division
// swallows the extra rows). PyTorch also allows S <= OP < D; the adjoint then has
// H + OP / S rows, and x is extended with zero rows to that height (grad x cropped back).
#include "conv_transpose.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/check.h"
#include "gemm.h"
#include "im2col.h"

namespace nvz {
namespace {

using detail::col2im;
using detail::im2col;
using detail::sum;
using detail::valid_columns;

// Re-checks what the passes rely on, for C++ callers that skip neuralviz/ops.py.
void check_shape(const ConvTranspose2dShape& s, const char* fn) {
  NVZ_CHECK(s.N >= 0 && s.C >= 1 && s.H >= 1 && s.W >= 1, fn,
            ": x must have N >= 0 and positive C, H, W, got (", s.N, ", ", s.C, ", ", s.H, ", ",
            s.W, ")");
  NVZ_CHECK(s.OC >= 1 && s.KH >= 1 && s.KW >= 1, fn, ": w must have positive sizes, got (", s.C,
            ", ", s.OC, ", ", s.KH, ", ", s.KW, ")");
  NVZ_CHECK(s.SH >= 1 && s.SW >= 1, fn, ": stride must be >= 1, got (", s.SH, ", ", s.SW, ")");
  NVZ_CHECK(s.PH >= 0 && s.PW >= 0, fn, ": padding must be >= 0, got (", s.PH, ", ", s.PW, ")");
  NVZ_CHECK(s.DH >= 1 && s.DW >= 1, fn, ": dilation must be >= 1, got (", s.DH, ", ", s.DW, ")");
  NVZ_CHECK(
      s.OPH >= 0 && s.OPW >= 0 && (s.OPH < s.SH || s.OPH < s.DH) && (s.OPW < s.SW || s.OPW < s.DW),
      fn, ": output_padding (", s.OPH, ", ", s.OPW,
      ") must be >= 0 and smaller than either stride (", s.SH, ", ", s.SW, ") or dilation (", s.DH,
      ", ", s.DW, ")");
  const int64_t oh = (s.H - 1) * s.SH - 2 * s.PH + s.DH * (s.KH - 1) + s.OPH + 1;
  const int64_t ow = (s.W - 1) * s.SW - 2 * s.PW + s.DW * (s.KW - 1) + s.OPW + 1;
  NVZ_CHECK(oh >= 1 && ow >= 1, fn, ": the output size (", oh, ", ", ow, ") is not positive");
  NVZ_CHECK(s.OH == oh && s.OW == ow, fn, ": output size (", s.OH, ", ", s.OW, ") should be (", oh,
            ", ", ow, ")");
}

int64_t out_pixels(const ConvTranspose2dShape& s) {
  return s.OH * s.OW;
}

// src planes (H, W) -> zeroed planes (HC, WC) holding them at the top left.
template <typename T>
std::vector<T> extend(const T* src, int64_t planes, int64_t H, int64_t W, int64_t HC, int64_t WC) {
  std::vector<T> dst(planes * HC * WC, T(0));
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t h = 0; h < H; ++h)
      std::memcpy(dst.data() + (p * HC + h) * WC, src + (p * H + h) * W, W * sizeof(T));
  return dst;
}

// The top-left (H, W) of each (HC, WC) plane of src into dst.
template <typename T>
void crop(const T* src, int64_t planes, int64_t HC, int64_t WC, int64_t H, int64_t W, T* dst) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t h = 0; h < H; ++h)
      std::memcpy(dst + (p * H + h) * W, src + (p * HC + h) * WC, W * sizeof(T));
}

// x as the adjoint convolution's output gradient: x itself, or (OP >= S) a zero-extended
// copy kept in `keep`.
template <typename T>
const T* adjoint_grad(const ConvTranspose2dShape& s, const Conv2dShape& c, const T* x,
                      std::vector<T>& keep) {
  if (c.OH == s.H && c.OW == s.W) return x;
  keep = extend(x, s.N * s.C, s.H, s.W, c.OH, c.OW);
  return keep.data();
}

template <typename T>
void add_bias(const ConvTranspose2dShape& s, const T* b, T* y) {
  const int64_t P = out_pixels(s);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t o = 0; o < s.OC; ++o) {
      T* plane = y + (n * s.OC + o) * P;
      const T v = b[o];
      for (int64_t i = 0; i < P; ++i) plane[i] += v;
    }
}

template <typename T>
void bias_grad(const ConvTranspose2dShape& s, const T* gy, T* gb) {
  const int64_t P = out_pixels(s);
  for (int64_t o = 0; o < s.OC; ++o) {
    T acc = 0;
    for (int64_t n = 0; n < s.N; ++n) acc += sum(gy + (n * s.OC + o) * P, P);
    gb[o] = acc;
  }
}

// ---------------------------------------------------------------------------------------
// Batched im2col path (strided layers)
// ---------------------------------------------------------------------------------------

// The adjoint's patch rows (K) and output pixels per image (P).
int64_t patch(const Conv2dShape& c) {
  return c.C * c.KH * c.KW;
}
int64_t pixels(const Conv2dShape& c) {
  return c.OH * c.OW;
}

// Images per chunk: enough columns (B*P) for the GEMM's tiles to run full, few enough that a
// chunk's matrices stay near the caches (512 measured a little faster than 1024 or 2048 on
// the DCGAN rows of neuralviz/bench/conv.py, AVX-512).
int64_t chunk_images(const Conv2dShape& c) {
  constexpr int64_t kColumns = 512;
  return std::clamp<int64_t>(kColumns / std::max<int64_t>(pixels(c), 1), 1,
                             std::max<int64_t>(c.N, 1));
}

// xt (Cx, B*P) <- x (B, Cx, P): channel-major, the chunk's images side by side.
template <typename T>
void to_channel_major(const T* x, int64_t B, int64_t Cx, int64_t P, T* xt) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t ci = 0; ci < Cx; ++ci)
      std::memcpy(xt + ci * B * P + b * P, x + (b * Cx + ci) * P, P * sizeof(T));
}

// gx (B, Cx, H, W) <- the top-left H x W of each (OH, OW) plane of gxt (Cx, B*OH*OW).
template <typename T>
void from_channel_major(const T* gxt, int64_t B, int64_t Cx, int64_t OH, int64_t OW, int64_t H,
                        int64_t W, T* gx) {
  const int64_t P = OH * OW;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t ci = 0; ci < Cx; ++ci)
      for (int64_t h = 0; h < H; ++h)
        std::memcpy(gx + ((b * Cx + ci) * H + h) * W, gxt + ci * B * P + b * P + h * OW,
                    W * sizeof(T));
}

// y = the transposed convolution of x (the adjoint's input gradient), chunk by chunk.
template <typename T>
void forward_batched(const Conv2dShape& c, const T* x, const T* w, T* y) {
  const int64_t K = patch(c), P = pixels(c), B = chunk_images(c), image = c.C * c.H * c.W;
  const auto cols = valid_columns(c);
  std::vector<T> xt(c.OC * B * P), dcol(K * B * P);
  for (int64_t n0 = 0; n0 < c.N; n0 += B) {
    const int64_t nb = std::min(B, c.N - n0), ld = nb * P;
    to_channel_major(x + n0 * c.OC * P, nb, c.OC, P, xt.data());
    gemm<T>(true, false, K, ld, c.OC, T(1), w, K, xt.data(), ld, T(0), dcol.data(), ld);
    for (int64_t b = 0; b < nb; ++b) col2im(c, cols, dcol.data() + b * P, ld, y + (n0 + b) * image);
  }
}

// grad x (cropped to H x W) and grad w from one im2col of grad_y per chunk; either may be null.
template <typename T>
void backward_batched(const Conv2dShape& c, int64_t H, int64_t W, const T* x, const T* w,
                      const T* gy, T* gx, T* gw) {
  const int64_t K = patch(c), P = pixels(c), B = chunk_images(c), image = c.C * c.H * c.W;
  const auto cols = valid_columns(c);
  std::vector<T> col(K * B * P), xt(gw ? c.OC * B * P : 0), gxt(gx ? c.OC * B * P : 0);
  if (gw) std::fill(gw, gw + c.OC * K, T(0));
  for (int64_t n0 = 0; n0 < c.N; n0 += B) {
    const int64_t nb = std::min(B, c.N - n0), ld = nb * P;
    for (int64_t b = 0; b < nb; ++b) im2col(c, cols, gy + (n0 + b) * image, col.data() + b * P, ld);
    if (gw) {
      to_channel_major(x + n0 * c.OC * P, nb, c.OC, P, xt.data());
      gemm<T>(false, true, c.OC, K, ld, T(1), xt.data(), ld, col.data(), ld, T(1), gw, K);
    }
    if (gx) {
      gemm<T>(false, false, c.OC, ld, K, T(1), w, K, col.data(), ld, T(0), gxt.data(), ld);
      from_channel_major(gxt.data(), nb, c.OC, c.OH, c.OW, H, W, gx + n0 * c.OC * H * W);
    }
  }
}

// Strided layers take the batched path; stride 1 goes to conv.cpp, whose direct kernels need
// no im2col at all.
bool batched(const ConvTranspose2dShape& s) {
  return s.SH > 1 || s.SW > 1;
}

}  // namespace

Conv2dShape conv_transpose_adjoint(const ConvTranspose2dShape& s) {
  Conv2dShape c{s.N, s.OC, s.OH, s.OW, s.C, s.KH, s.KW, s.SH, s.SW, s.PH, s.PW, s.DH, s.DW, 0, 0};
  // A stride beyond the padded input leaves one output row whatever its value (then H = 1).
  c.SH = std::min(c.SH, c.H + 2 * c.PH);
  c.SW = std::min(c.SW, c.W + 2 * c.PW);
  c.OH = (c.H + 2 * c.PH - c.DH * (c.KH - 1) - 1) / c.SH + 1;
  c.OW = (c.W + 2 * c.PW - c.DW * (c.KW - 1) - 1) / c.SW + 1;
  return c;
}

template <typename T>
void conv_transpose2d_forward(const ConvTranspose2dShape& s, const T* x, const T* w, const T* b,
                              T* y) {
  check_shape(s, "conv_transpose2d");
  if (s.N == 0) return;
  NVZ_CHECK(x && w && y, "conv_transpose2d: x, w and y must not be null");
  const Conv2dShape c = conv_transpose_adjoint(s);
  std::vector<T> keep;
  const T* xa = adjoint_grad(s, c, x, keep);
  if (batched(s))
    forward_batched(c, xa, w, y);
  else
    conv2d_backward<T>(c, nullptr, w, xa, y, nullptr, nullptr);
  if (b) add_bias(s, b, y);
}

template <typename T>
void conv_transpose2d_backward(const ConvTranspose2dShape& s, const T* x, const T* w, const T* gy,
                               T* gx, T* gw, T* gb) {
  check_shape(s, "conv_transpose2d_backward");
  NVZ_CHECK(gy, "conv_transpose2d_backward: grad_y must not be null");
  NVZ_CHECK(!gw || x, "conv_transpose2d_backward: x is needed for grad_w but is null");
  NVZ_CHECK(!gx || w, "conv_transpose2d_backward: w is needed for grad_x but is null");
  const Conv2dShape c = conv_transpose_adjoint(s);
  if (gb) bias_grad(s, gy, gb);
  if (batched(s) && s.N > 0 && (gw || gx)) {
    std::vector<T> keep;
    backward_batched(c, s.H, s.W, gw ? adjoint_grad(s, c, x, keep) : nullptr, w, gy, gx, gw);
    return;
  }
  if (gw) {
    std::vector<T> keep;
    conv2d_backward<T>(c, gy, nullptr, adjoint_grad(s, c, x, keep), nullptr, gw, nullptr);
  }
  if (gx && s.N > 0) {
    if (c.OH == s.H && c.OW == s.W) {
      conv2d_forward<T>(c, gy, w, nullptr, gx);
    } else {
      std::vector<T> full(s.N * s.C * c.OH * c.OW);
      conv2d_forward<T>(c, gy, w, nullptr, full.data());
      crop(full.data(), s.N * s.C, c.OH, c.OW, s.H, s.W, gx);
    }
  }
}

template void conv_transpose2d_forward<float>(const ConvTranspose2dShape&, const float*,
                                              const float*, const float*, float*);
template void conv_transpose2d_forward<double>(const ConvTranspose2dShape&, const double*,
                                               const double*, const double*, double*);
template void conv_transpose2d_backward<float>(const ConvTranspose2dShape&, const float*,
                                               const float*, const float*, float*, float*, float*);
template void conv_transpose2d_backward<double>(const ConvTranspose2dShape&, const double*,
                                                const double*, const double*, double*, double*,
                                                double*);

}  // namespace nvz

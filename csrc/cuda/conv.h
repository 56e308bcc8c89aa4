// Convolution passes on device pointers for the CUDA backend (conv.cu): implicit im2col through
// the device GEMM (gemm.h). conv2d and conv_transpose2d (its adjoint) are both expressed on one
// geometry, that of a plain convolution from an input (N, C, H, W) to an output (N, OC, OH, OW)
// with weights (OC, C, KH, KW); bind_conv.cpp builds it for either layer.
#pragma once
#include <cstdint>

namespace nvz::cuda {

struct ConvGeom {
  int64_t N, C, H, W;  // the convolution's input
  int64_t OC, KH, KW;  // weights (OC, C, KH, KW)
  int64_t SH, SW, PH, PW, DH, DW;
  // The output. For conv2d the usual floor formula; for the adjoint of a transposed convolution
  // the transposed layer's input size, which can be smaller than the formula's (output_padding
  // >= stride): output pixels beyond it would only meet zeros, so they are simply not visited.
  int64_t OH, OW;
};

// Images per pass, so that the workspace (conv_workspace elements) stays under ~256 MB (or
// the environment variable NVZ_CONV_WORKSPACE_BYTES, read on each call, for tests).
int64_t conv_chunk(const ConvGeom& g, int64_t elem_bytes);
// Workspace elements for passes over `chunk` images: the column matrix (C*KH*KW, chunk*OH*OW)
// and one channel-major (OC, chunk*OH*OW) buffer.
int64_t conv_workspace(const ConvGeom& g, int64_t chunk);

// What one sweep over the images computes; null pointers are skipped.
//   y  (N, OC, OH, OW) = conv(x) + b_y                     (forward)
//   gw (OC, C, KH, KW) = sum over images of gy ⊗ patches(x) (weight gradient, overwritten)
//   gx (N, C, H, W)    = conv^T(gy) + b_gx                 (data gradient, overwritten)
// y and gw read x; gw and gx read gy; y and gx read w.
template <typename T>
struct ConvPasses {
  const T* x = nullptr;
  const T* w = nullptr;
  const T* gy = nullptr;
  const T* b_y = nullptr;
  const T* b_gx = nullptr;
  T* y = nullptr;
  T* gw = nullptr;
  T* gx = nullptr;
};

// Runs the passes chunk by chunk; work holds conv_workspace(g, chunk) elements.
template <typename T>
void conv_run(const ConvGeom& g, const ConvPasses<T>& p, T* work, int64_t chunk);

// out[c] = sum over n and pixels of y (N, C, P): a bias gradient, in a fixed order. part holds
// C * channel_sum_splits(N, P) elements (the partial sums).
int64_t channel_sum_splits(int64_t N, int64_t P);
template <typename T>
void channel_sum(int64_t N, int64_t C, int64_t P, const T* y, T* out, T* part);

}  // namespace nvz::cuda

// 2-D transposed convolution (PyTorch's conv_transpose2d), NCHW input, weights (C_in, C_out,
// KH, KW): the adjoint of conv2d, so every pass is one of conv2d's passes (conv_transpose.cpp).
#pragma once
#include <cstdint>

#include "conv.h"

namespace nvz {

struct ConvTranspose2dShape {
  int64_t N, C, H, W;                        // input x (N, C, H, W)
  int64_t OC, KH, KW;                        // weight (C, OC, KH, KW)
  int64_t SH, SW, PH, PW, OPH, OPW, DH, DW;  // OP: output padding, < S or < D per axis
  int64_t OH, OW;  // output, = (H - 1)*S - 2P + D(K - 1) + OP + 1, all >= 1
};

// The conv2d whose backward-data is this transposed convolution: its input is the (OC, OH,
// OW) output, its weight the same array read as (OC_conv = C, C_conv = OC, KH, KW), its output
// (C, HC, WC) with HC = H + OPH / SH (more than H only when OP >= S, possible when D > S:
// the extra rows then meet zero-padded x). The stride is capped at the padded output size as
// the bindings do for conv2d (a single output row either way).
Conv2dShape conv_transpose_adjoint(const ConvTranspose2dShape& s);

// y (N, OC, OH, OW) is overwritten. b (OC) may be null (no bias).
template <typename T>
void conv_transpose2d_forward(const ConvTranspose2dShape& s, const T* x, const T* w, const T* b,
                              T* y);

// Any of gx (N, C, H, W), gw (C, OC, KH, KW), gb (OC) may be null: that gradient is skipped.
// Non-null outputs are overwritten.
template <typename T>
void conv_transpose2d_backward(const ConvTranspose2dShape& s, const T* x, const T* w, const T* gy,
                               T* gx, T* gw, T* gb);

}  // namespace nvz

// 2-D convolution (cross-correlation, as PyTorch), NCHW input, OIHW weights.
#pragma once
#include <cstdint>

namespace nvz {

struct Conv2dShape {
  int64_t N, C, H, W;  // input
  int64_t OC, KH, KW;  // weight (OC, C, KH, KW)
  int64_t SH, SW, PH, PW, DH, DW;
  int64_t OH, OW;  // output, = floor((H + 2P - D(K-1) - 1)/S) + 1, all >= 1
};

// y (N, OC, OH, OW) is overwritten. b may be null (no bias).
template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y);

// Any of gx (N,C,H,W), gw (OC,C,KH,KW), gb (OC) may be null: that gradient is skipped.
// Non-null outputs are overwritten.
template <typename T>
void conv2d_backward(const Conv2dShape& s, const T* x, const T* w, const T* gy, T* gx, T* gw,
                     T* gb);

}  // namespace nvz

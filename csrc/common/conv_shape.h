// The output size of a convolution, checked once for both backends' bindings (csrc/bindings.cpp and
// csrc/cuda/bind_conv.cpp), so a kernel that does not fit its padded input gets the same message on
// the CPU and on the GPU.
#pragma once
#include <cstdint>
#include <ostream>

#include "check.h"
#include "checked.h"

namespace nvz {

// An NCHW or OIHW shape, printed "(a, b, c, d)" as the bindings print array shapes.
struct Shape4 {
  int64_t d[4];
};
inline std::ostream& operator<<(std::ostream& os, const Shape4& s) {
  return os << "(" << s.d[0] << ", " << s.d[1] << ", " << s.d[2] << ", " << s.d[3] << ")";
}

struct ConvOutput {
  int64_t OH, OW;  // floor((H + 2P - D(K-1) - 1)/S) + 1, both >= 1
  int64_t Hp, Wp;  // the padded input
};

// Over x's H x W (dims 2, 3) with w's KH x KW kernel (dims 2, 3): the padded input, the dilated
// kernel extent and the output size, in checked 64-bit arithmetic. The shapes are formatted only
// into an error.
inline ConvOutput conv_output(const char* fn, const Shape4& x, const Shape4& w, int64_t sh,
                              int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const int64_t H = x.d[2], W = x.d[3], KH = w.d[2], KW = w.d[3];
  const int64_t Hp = NVZ_CHECKED(H + 2 * Size(ph), fn, ": padding ", ph, " on input height ", H,
                                 " (H + 2*padding)");
  const int64_t Wp = NVZ_CHECKED(W + 2 * Size(pw), fn, ": padding ", pw, " on input width ", W,
                                 " (W + 2*padding)");
  const int64_t EH = NVZ_CHECKED(Size(dh) * (KH - 1) + 1, fn, ": dilation ", dh,
                                 " with kernel height ", KH, " (dilation*(kH-1)+1)");
  const int64_t EW = NVZ_CHECKED(Size(dw) * (KW - 1) + 1, fn, ": dilation ", dw,
                                 " with kernel width ", KW, " (dilation*(kW-1)+1)");
  NVZ_CHECK(EH <= Hp && EW <= Wp, fn, ": the kernel extent (", EH, ", ", EW,
            ") is larger than the padded input (", Hp, ", ", Wp, ") (x.shape=", x, ", w.shape=", w,
            ", padding=(", ph, ", ", pw, "), dilation=(", dh, ", ", dw, "))");
  return {(Hp - EH) / sh + 1, (Wp - EW) / sw + 1, Hp, Wp};
}

}  // namespace nvz

// The geometry of 2-D pooling, checked once for both backends' bindings (csrc/bindings.cpp and
// csrc/cuda/bind_conv.cpp), so a bad kernel size, stride or padding gets the same message on the
// CPU and on the GPU.
#pragma once
#include <cstdint>

#include "check.h"
#include "checked.h"

namespace nvz {

struct Pool2dShape {
  int64_t N, C, H, W;
  int64_t KH, KW, SH, SW, PH, PW;
  int64_t OH, OW;  // = floor((H + 2P - K)/S) + 1, all >= 1
};

// The geometry of a pooling call over planes of H x W, in checked 64-bit arithmetic; the
// window size kH*kW is the average's divisor.
inline Pool2dShape pool_shape(const char* fn, int64_t N, int64_t C, int64_t H, int64_t W,
                              int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw) {
  NVZ_CHECK(N >= 0 && C >= 1 && H >= 1 && W >= 1, fn,
            ": x must have positive C, H, W, got x shape (", N, ", ", C, ", ", H, ", ", W, ")");
  NVZ_CHECK(kh >= 1 && kw >= 1, fn, ": kernel_size must be >= 1, got (", kh, ", ", kw, ")");
  NVZ_CHECK(sh >= 1 && sw >= 1, fn, ": stride must be >= 1, got (", sh, ", ", sw, ")");
  NVZ_CHECK(ph >= 0 && pw >= 0 && ph <= kh / 2 && pw <= kw / 2, fn, ": padding (", ph, ", ", pw,
            ") must be >= 0 and at most half of kernel_size (", kh, ", ", kw, ")");
  const int64_t Hp = NVZ_CHECKED(H + 2 * Size(ph), fn, ": padding ", ph, " on input height ", H,
                                 " (H + 2*padding)");
  const int64_t Wp = NVZ_CHECKED(W + 2 * Size(pw), fn, ": padding ", pw, " on input width ", W,
                                 " (W + 2*padding)");
  NVZ_CHECKED(Size(kh) * kw, fn, ": the window size kH*kW of kernel_size (", kh, ", ", kw, ")");
  NVZ_CHECK(kh <= Hp && kw <= Wp, fn, ": kernel_size (", kh, ", ", kw,
            ") is larger than the padded input (", Hp, ", ", Wp, ")");
  const Pool2dShape s{N, C, H, W, kh, kw, sh, sw, ph, pw, (Hp - kh) / sh + 1, (Wp - kw) / sw + 1};
  NVZ_CHECKED(Size(N) * C * s.OH * s.OW * kh * kw, fn,
              ": the work N*C*H_out*W_out*kH*kW of x shape (", N, ", ", C, ", ", H, ", ", W,
              "), kernel_size (", kh, ", ", kw, "), stride (", sh, ", ", sw, ")");
  return s;
}

}  // namespace nvz

// 2-D max and average pooling, NCHW. Padding as PyTorch: max pool pads with -inf,
// average pool counts padded zeros (count_include_pad=True); floor output size.
#pragma once
#include <cstdint>

namespace nvz {

struct Pool2dShape {
  int64_t N, C, H, W;
  int64_t KH, KW, SH, SW, PH, PW;
  int64_t OH, OW;  // = floor((H + 2P - K)/S) + 1, all >= 1
};

// y and idx are (N, C, OH, OW); idx holds the flat index h*W + w of the max within its
// (n, c) plane, as torch.nn.functional.max_pool2d(return_indices=True).
template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* idx);

// gx (N, C, H, W) is overwritten. Throws std::invalid_argument if an index is out of range.
template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* gy, const int64_t* idx, T* gx);

template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y);

template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, const T* gy, T* gx);

}  // namespace nvz

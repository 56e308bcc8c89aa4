// 2-D max and average pooling, NCHW. Padding as PyTorch: max pool pads with -inf,
// average pool counts padded zeros (count_include_pad=True); floor output size.
#pragma once
#include <cstdint>

#include "common/pool_shape.h"

namespace nvz {

// y and idx are (N, C, OH, OW); idx holds the flat index h*W + w of the max within its
// (n, c) plane, as torch.nn.functional.max_pool2d(return_indices=True).
template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* idx);

// Throws std::invalid_argument unless idx (N, C, OH, OW) could come from max_pool2d on planes
// of s.H x s.W: every index lies in [0, H*W), and along an output row the indices' columns
// never decrease, along an output column their rows never decrease (two overlapping windows
// pick the same element of their overlap, ties and NaN included; disjoint windows are
// ordered). Indices read with another plane width than the forward's break that order, and
// would otherwise send the gradients to wrong places silently. Only s's sizes are read.
void check_max_pool_indices(const Pool2dShape& s, const int64_t* idx);

// gx (N, C, H, W) is overwritten. Checks idx first (check_max_pool_indices).
template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* gy, const int64_t* idx, T* gx);

template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y);

template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, const T* gy, T* gx);

}  // namespace nvz

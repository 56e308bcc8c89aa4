// 2-D max and average pooling on device pointers for the CUDA backend (pool.cu), with the CPU
// kernels' semantics (csrc/cpu/pool.h): floor output size, max pool pads with -inf and takes
// the first maximum in row-major window order (a NaN is the maximum), average pool divides by
// the window clipped to the padded border (count_include_pad=True).
#pragma once
#include <cstdint>

#include "common/pool_shape.h"

namespace nvz::cuda {

using PoolGeom = nvz::Pool2dShape;  // the CPU's geometry (common/pool_shape.h)

// y, idx (N, C, OH, OW); idx is the flat position h*W + w of the max in its (n, c) plane.
template <typename T>
void max_pool_forward(const PoolGeom& g, const T* x, T* y, int64_t* idx);

// gx (N, C, H, W) overwritten with the gradients routed by idx (only g's N, C, H, W, OH, OW
// are read). Indices that could not come from max_pool2d (out of [0, H*W), or left of / above
// their neighbour's, see csrc/cpu/pool.h) are skipped and set *bad (a device int64) to 1.
template <typename T>
void max_pool_backward(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx, int64_t* bad);

template <typename T>
void avg_pool_forward(const PoolGeom& g, const T* x, T* y);

// gx (N, C, H, W) overwritten.
template <typename T>
void avg_pool_backward(const PoolGeom& g, const T* gy, T* gx);

}  // namespace nvz::cuda

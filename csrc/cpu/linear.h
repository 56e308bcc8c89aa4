// Dense (fully connected) layer forward: y = x w^T + b, row-major, w as PyTorch's Linear.
#pragma once
#include <cstdint>

namespace nvz {

// x (M, K), w (N, K), b (N) or null, y (M, N) overwritten.
template <typename T>
void linear_forward(const T* x, const T* w, const T* b, T* y, int64_t M, int64_t N, int64_t K);

}  // namespace nvz

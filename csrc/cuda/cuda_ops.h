// The CUDA backend's kernels, called with host pointers: each call copies operands to the
// device, runs, and copies the result back. That keeps the backend a drop-in for the
// numpy-in/numpy-out API of neuralviz.ops; it pays off for large matrices only, which
// `python -m neuralviz.bench cuda` measures. Plain CUDA C++ (no pybind11 here).
#pragma once
#include <cstdint>
#include <string>

namespace nvz {
namespace cuda {

// Number of usable GPUs; on failure 0 and a human-readable reason in `reason`.
int device_count(std::string* reason);
std::string device_name(int device);

// Row-major C[M,N] = op(A) op(B), as nvz::gemm with alpha = 1, beta = 0.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A, const T* B,
          T* C);

}  // namespace cuda
}  // namespace nvz

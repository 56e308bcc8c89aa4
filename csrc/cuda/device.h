// What a CUDA kernel file of the backend includes: the CUDA dialect, and the launch macros.
//
// Every .cu file in csrc/cuda is compiled twice:
// - by nvcc into neuralviz._native._C_cuda, the real backend (a GPU runs it);
// - by g++ as plain C++ with NVZ_CUDA_SIM into neuralviz._native._C_cudasim, where this header
//   emulates the dialect on the CPU: a grid is run block after block, and the threads of a
//   block are real threads meeting at __syncthreads. __shared__ arrays are statics shared by
//   the block's threads (blocks never overlap, launches are serialised).
//
// Why: no test machine here has a GPU. The simulator runs the very same kernel source, so
// indexing, tiling, edge tiles and reductions are checked against the CPU kernels on every
// machine; only speed and the hardware's memory model need a real GPU (benchmarks/gpu_check.sh).
//
// Rules for kernel code, so both builds agree:
// - launch with NVZ_LAUNCH (no __syncthreads inside) or NVZ_LAUNCH_SYNC (block barriers);
//   the simulator refuses __syncthreads under NVZ_LAUNCH, naming the kernel;
// - no early `return` before a __syncthreads (guard the work with `if` instead);
// - no warp intrinsics (__shfl*), no dynamic `extern __shared__`, no cooperative groups;
// - use nvz_min / nvz_max and the math functions below (expf, tanhf, ... are in both).
#pragma once
#include <cstdint>

#include "cuda/runtime.h"

#ifdef NVZ_CUDA_SIM
#include <math.h>
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __restrict__ __restrict

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct float4 {
  float x, y, z, w;
};

namespace nvz::sim {

inline thread_local dim3 thread_idx, block_idx;
inline thread_local std::barrier<>* block_barrier = nullptr;
inline thread_local const char* running_kernel = "";
inline dim3 block_dim, grid_dim;  // constant during a launch; launches are serialised

inline std::mutex& launch_mutex() {
  static std::mutex m;
  return m;
}

inline void syncthreads() {
  if (block_barrier == nullptr)
    throw std::logic_error(
        std::string(running_kernel) +
        " calls __syncthreads but was launched with NVZ_LAUNCH; use NVZ_LAUNCH_SYNC");
  block_barrier->arrive_and_wait();
}

inline void for_each_block(const std::function<void()>& per_block) {
  for (unsigned z = 0; z < grid_dim.z; ++z)
    for (unsigned y = 0; y < grid_dim.y; ++y)
      for (unsigned x = 0; x < grid_dim.x; ++x) {
        block_idx = dim3(x, y, z);
        per_block();
      }
}

inline dim3 thread_of(unsigned linear) {
  return dim3(linear % block_dim.x, (linear / block_dim.x) % block_dim.y,
              linear / (block_dim.x * block_dim.y));
}

// Runs body() once per (block, thread). sync: the block's threads are OS threads that meet at
// __syncthreads (and after each block, so __shared__ data is never shared across blocks).
inline void launch(const char* name, dim3 grid, dim3 block, bool sync,
                   const std::function<void()>& body) {
  std::lock_guard<std::mutex> lock(launch_mutex());
  grid_dim = grid;
  block_dim = block;
  const unsigned threads = block.x * block.y * block.z;
  if (grid.x * grid.y * grid.z == 0 || threads == 0) return;
  if (threads > 1024)
    throw std::invalid_argument(std::string(name) + ": more than 1024 threads per block");
  if (!sync) {
    running_kernel = name;
    for_each_block([&] {
      for (unsigned t = 0; t < threads; ++t) {
        thread_idx = thread_of(t);
        body();
      }
    });
    return;
  }
  std::barrier<> barrier(threads);
  std::vector<int> syncs(threads, 0);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      running_kernel = name;
      block_barrier = &barrier;
      thread_idx = thread_of(t);
      for_each_block([&] {
        body();
        barrier.arrive_and_wait();  // the block is done: its __shared__ data may be reused
      });
    });
  for (auto& th : pool) th.join();
}

template <typename T>
inline T atomic_add(T* address, T value) {
  return std::atomic_ref<T>(*address).fetch_add(value);
}

}  // namespace nvz::sim

#define threadIdx (::nvz::sim::thread_idx)
#define blockIdx (::nvz::sim::block_idx)
#define blockDim (::nvz::sim::block_dim)
#define gridDim (::nvz::sim::grid_dim)
#define __syncthreads() ::nvz::sim::syncthreads()
#define atomicAdd(address, value) ::nvz::sim::atomic_add((address), (value))
// CUDA's math: the float overloads of exp, log, ... in the global namespace; expf and the
// other f-suffixed names come from math.h.
using std::exp;
using std::fabs;
using std::fmax;
using std::fmin;
using std::log;
using std::log1p;
using std::sqrt;
using std::tanh;

#define NVZ_LAUNCH(kernel, grid, block, ...) \
  ::nvz::sim::launch(#kernel, (grid), (block), false, [&] { kernel(__VA_ARGS__); })
#define NVZ_LAUNCH_SYNC(kernel, grid, block, ...) \
  ::nvz::sim::launch(#kernel, (grid), (block), true, [&] { kernel(__VA_ARGS__); })

#else  // nvcc

#include <cuda_runtime.h>

#define NVZ_LAUNCH(kernel, grid, block, ...)  \
  do {                                        \
    kernel<<<(grid), (block)>>>(__VA_ARGS__); \
    ::nvz::cuda::check_launch(#kernel);       \
  } while (0)
#define NVZ_LAUNCH_SYNC(kernel, grid, block, ...) NVZ_LAUNCH(kernel, grid, block, __VA_ARGS__)

#endif

template <typename T>
__host__ __device__ __forceinline__ T nvz_min(T a, T b) {
  return a < b ? a : b;
}
template <typename T>
__host__ __device__ __forceinline__ T nvz_max(T a, T b) {
  return a > b ? a : b;
}

namespace nvz::cuda {

// Blocks of `threads` covering n items (at least one block, so a launch is always valid).
inline unsigned blocks_for(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 2147483647 ? 2147483647 : b));
}

}  // namespace nvz::cuda

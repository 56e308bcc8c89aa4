// What a CUDA kernel file of the backend includes: the CUDA dialect, and the launch macros.
//
// Every .cu file in csrc/cuda is compiled twice:
// - by nvcc into neuralviz._native._C_cuda, the real backend (a GPU runs it);
// - by g++ as plain C++ with NVZ_CUDA_SIM into neuralviz._native._C_cudasim, where this header
//   emulates the dialect on the CPU: a grid is run block after block; under NVZ_LAUNCH_SYNC the
//   threads of a block are fibers (ucontext) meeting at __syncthreads, run round-robin on the
//   calling thread, so barriers hold exactly and results are deterministic. __shared__ arrays
//   are statics shared by the block's threads (blocks never overlap, launches are serialised).
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
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <ucontext.h>

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
struct alignas(
    16) float4 {  // as CUDA's: a misaligned float4 access is then undefined (UBSan reports it)
  float x, y, z, w;
};

namespace nvz::sim {

inline thread_local dim3 thread_idx, block_idx;
inline thread_local const char* running_kernel = "";
inline dim3 block_dim, grid_dim;  // constant during a launch; launches are serialised

// A block's threads under NVZ_LAUNCH_SYNC: one fiber (ucontext) each, run round-robin on the
// calling thread. __syncthreads switches back to the scheduler; a round ends when every fiber is at
// the barrier (or has finished), so a barrier holds exactly as on the GPU, deterministically, on
// one core.
struct Block {
  ucontext_t scheduler;
  std::vector<ucontext_t> fibers;
  std::unique_ptr<char[]> stacks;  // uninitialised: pages are touched only as deep as a fiber goes
  std::vector<int> state;          // 0 runnable, 1 at the barrier, 2 finished
  std::exception_ptr error;
  const std::function<void()>* body = nullptr;
  int current = 0;
};
inline Block* active_block = nullptr;

inline std::mutex& launch_mutex() {
  static std::mutex m;
  return m;
}

inline void syncthreads() {
  Block* b = active_block;
  if (b == nullptr)
    throw std::logic_error(
        std::string(running_kernel) +
        " calls __syncthreads but was launched with NVZ_LAUNCH; use NVZ_LAUNCH_SYNC");
  b->state[b->current] = 1;
  swapcontext(&b->fibers[b->current], &b->scheduler);
}

// NVZ_SIM_REVERSE=1 runs blocks, and threads within a block, in descending order. A GPU promises no
// order, so a kernel whose result depends on one (two threads writing one element, a missing
// barrier between a shared-memory write and another thread's read) gives a different answer one way
// or the other: the tests run every kernel both ways (tests/cuda_devices.py).
inline bool reverse_order() {
  const char* e = std::getenv("NVZ_SIM_REVERSE");
  return e != nullptr && e[0] == '1';
}
inline thread_local bool reversed = false;

inline unsigned nth(unsigned i, unsigned n) {
  return reversed ? n - 1 - i : i;
}

inline void for_each_block(const std::function<void()>& per_block) {
  const unsigned blocks = grid_dim.x * grid_dim.y * grid_dim.z;
  for (unsigned i = 0; i < blocks; ++i) {
    const unsigned b = nth(i, blocks);
    block_idx = dim3(b % grid_dim.x, (b / grid_dim.x) % grid_dim.y, b / (grid_dim.x * grid_dim.y));
    per_block();
  }
}

inline dim3 thread_of(unsigned linear) {
  return dim3(linear % block_dim.x, (linear / block_dim.x) % block_dim.y,
              linear / (block_dim.x * block_dim.y));
}

inline void fiber_main() {
  Block* b = active_block;
  try {
    (*b->body)();
  } catch (...) {
    if (!b->error) b->error = std::current_exception();
  }
  b->state[b->current] = 2;  // returns to the scheduler through uc_link
}

constexpr size_t FIBER_STACK = 64 * 1024;

inline void run_block(Block& b, unsigned threads) {
  for (unsigned t = 0; t < threads; ++t) {
    ucontext_t& f = b.fibers[t];
    getcontext(&f);
    f.uc_stack.ss_sp = b.stacks.get() + t * FIBER_STACK;
    f.uc_stack.ss_size = FIBER_STACK;
    f.uc_link = &b.scheduler;
    makecontext(&f, fiber_main, 0);
    b.state[t] = 0;
  }
  for (unsigned finished = 0; finished < threads;) {
    finished = 0;
    unsigned waiting = 0;
    for (unsigned i = 0; i < threads; ++i) {
      const unsigned t = nth(i, threads);
      if (b.state[t] == 2) {
        ++finished;
        continue;
      }
      b.current = static_cast<int>(t);
      b.state[t] = 0;
      thread_idx = thread_of(t);
      swapcontext(&b.scheduler, &b.fibers[t]);
      if (b.state[t] == 2) ++finished;
      if (b.state[t] == 1) ++waiting;
    }
    if (b.error) std::rethrow_exception(b.error);
    if (waiting && finished)
      throw std::logic_error(
          std::string(running_kernel) +
          ": some threads of a block passed a __syncthreads that others never reached "
          "(an early return before a barrier)");
  }
}

// Runs body() once per (block, thread). sync: the block's threads are fibers meeting at
// __syncthreads.
inline void launch(const char* name, dim3 grid, dim3 block, bool sync,
                   const std::function<void()>& body) {
  std::lock_guard<std::mutex> lock(launch_mutex());
  grid_dim = grid;
  block_dim = block;
  running_kernel = name;
  reversed = reverse_order();
  const unsigned threads = block.x * block.y * block.z;
  ::nvz::cuda::check_launch(name);  // counted as the GPU build counts it
  if (grid.x * grid.y * grid.z == 0 || threads == 0) return;
  if (threads > 1024)
    throw std::invalid_argument(std::string(name) + ": more than 1024 threads per block");
  if (!sync) {
    for_each_block([&] {
      for (unsigned t = 0; t < threads; ++t) {
        thread_idx = thread_of(nth(t, threads));
        body();
      }
    });
    return;
  }
  Block b;
  b.fibers.resize(threads);
  b.stacks.reset(new char[static_cast<size_t>(threads) * FIBER_STACK]);
  b.state.resize(threads);
  b.body = &body;
  active_block = &b;
  try {
    for_each_block([&] { run_block(b, threads); });
  } catch (...) {
    active_block = nullptr;
    throw;
  }
  active_block = nullptr;
}

template <typename T>
inline T atomic_add(T* address, T value) {  // one OS thread runs every simulated thread
  const T old = *address;
  *address = old + value;
  return old;
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

// Elementwise kernels are grid-stride loops (NVZ_EACH) of EACH_THREADS-thread blocks, each_grid(n)
// of them: more than EACH_BLOCKS blocks gain nothing, and any size fits one launch.
constexpr int EACH_THREADS = 256;
constexpr unsigned EACH_BLOCKS = 4096;
inline unsigned each_grid(int64_t n) {
  return nvz_min(blocks_for(n, EACH_THREADS), EACH_BLOCKS);
}

// The float or the double function for a kernel template's T: a bare exp() on a float does not say
// which.
__device__ __forceinline__ float exp_of(float x) {
  return expf(x);
}
__device__ __forceinline__ double exp_of(double x) {
  return exp(x);
}
__device__ __forceinline__ float tanh_of(float x) {
  return tanhf(x);
}
__device__ __forceinline__ double tanh_of(double x) {
  return tanh(x);
}
__device__ __forceinline__ float sqrt_of(float x) {
  return sqrtf(x);
}
__device__ __forceinline__ double sqrt_of(double x) {
  return sqrt(x);
}

}  // namespace nvz::cuda

#define NVZ_EACH(i, n)                                                                   \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
